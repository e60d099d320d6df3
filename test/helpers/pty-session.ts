// A program under a real terminal (node-pty) for tests: what it printed,
// waiting for text to appear, typing, resizing, and its exit.
import * as pty from 'node-pty';

export class PtySession {
  private readonly term: pty.IPty;
  /** Everything the program printed so far. */
  output = '';
  readonly exited: Promise<{ exitCode: number; signal?: number }>;
  private mark = 0;

  constructor(file: string, args: string[], opts: { cols?: number; rows?: number; env?: NodeJS.ProcessEnv } = {}) {
    this.term = pty.spawn(file, args, {
      name: 'xterm',
      cols: opts.cols ?? 100,
      rows: opts.rows ?? 30,
      env: (opts.env ?? { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm' }) as Record<string, string>,
    });
    this.term.onData((d) => {
      this.output += d;
    });
    this.exited = new Promise((resolve) => this.term.onExit(resolve));
  }

  get pid(): number {
    return this.term.pid;
  }

  write(data: string): void {
    this.term.write(data);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  /** Waits until the output after the last match contains `pattern`; returns the match. */
  async waitFor(pattern: RegExp | string, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.output.slice(this.mark);
      const m = re.exec(rest);
      if (m) {
        this.mark += (m.index ?? 0) + m[0].length;
        return m;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in output:\n${JSON.stringify(this.output.slice(-2000))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The exit, or a kill after the timeout (the test then fails on the result). */
  async exit(timeoutMs = 15_000): Promise<{ exitCode: number; signal?: number }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ exitCode: number; signal?: number }>((resolve) => {
      timer = setTimeout(() => {
        this.kill();
        resolve({ exitCode: -1, signal: 9 });
      }, timeoutMs);
    });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return r;
  }

  kill(): void {
    try {
      this.term.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}
