// A plain HTTP GET against a server a test started, polled until it answers.
import * as net from 'node:net';
import { sleep } from './tspod-env';

/** GET /file from 127.0.0.1:port, polled until it answers want (bounded); returns the last answer. */
export async function answers(port: number, file: string, want: string): Promise<string> {
  let got = '';
  for (let i = 0; i < 60 && got !== want; i++) {
    got = await new Promise<string>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      let data = '';
      const timer = setTimeout(() => (sock.destroy(), resolve('TIMEOUT')), 2000);
      sock.on('connect', () => sock.write(`GET /${file} HTTP/1.0\r\n\r\n`));
      sock.on('data', (d) => (data += d.toString()));
      sock.on('error', (e: NodeJS.ErrnoException) => (clearTimeout(timer), resolve(e.code ?? 'ERROR')));
      sock.on('close', () => (clearTimeout(timer), resolve(data.split('\r\n\r\n')[1] ?? data)));
    });
    if (got !== want) await sleep(100);
  }
  return got;
}
