// The host tools that change network state: iproute2 (`ip -batch`, one process
// for many changes) inside or outside a container's network namespace, sysctls,
// and iptables-save/iptables-restore (one atomic batch per change).
import * as fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { EngineError } from '../errors';

const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

function run(cmd: string, args: string[], input: string, what: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', env: ENV });
  if (r.error) throw new EngineError('internal', `${what}: ${r.error.message}`);
  if (r.status !== 0) throw new EngineError('internal', `${what}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

function runAsync(cmd: string, args: string[], input: string, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (errText += d));
    child.on('error', (e) => reject(new EngineError('internal', `${what}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new EngineError('internal', `${what}: ${(errText || out).trim()}`))));
    child.stdin.on('error', () => undefined); // an early exit is reported by 'close'
    child.stdin.end(input);
  });
}

/** Host-side iproute2 commands in one process, without blocking the event loop. */
export async function ipBatchAsync(lines: string[]): Promise<void> {
  if (lines.length) await runAsync('ip', ['-batch', '-'], `${lines.join('\n')}\n`, 'configuring the host network');
}

let netnsDirReady: boolean | undefined;

/**
 * Runs iproute2 commands (lines without the leading `ip`) in one process;
 * netns: a /proc/PID/ns/net path. `ip -n NAME` opens /run/netns/NAME, so a
 * relative path up from there reaches any namespace file without a named
 * namespace or an nsenter process in between (one exec less on every `run`).
 */
export function ipBatch(lines: string[], netns?: string, opts: { force?: boolean } = {}): void {
  if (lines.length === 0) return;
  const force = opts.force ? ['-force'] : [];
  const input = `${lines.join('\n')}\n`;
  if (!netns) return void run('ip', [...force, '-batch', '-'], input, 'configuring the host network');
  if (netnsDirReady === undefined)
    try {
      fs.mkdirSync('/run/netns', { recursive: true });
      netnsDirReady = true;
    } catch {
      netnsDirReady = false;
    }
  if (netnsDirReady && netns.startsWith('/')) run('ip', ['-n', `../..${netns}`, ...force, '-batch', '-'], input, 'configuring the container network');
  else run('nsenter', [`--net=${netns}`, 'ip', ...force, '-batch', '-'], input, 'configuring the container network');
}

export function setSysctl(key: string, value: string): void {
  const file = `/proc/sys/${key.replace(/\./g, '/')}`;
  try {
    if (fs.readFileSync(file, 'utf8').trim() === value) return;
    fs.writeFileSync(file, value);
  } catch (err) {
    throw new EngineError('internal', `setting sysctl ${key}=${value}: ${(err as Error).message}`);
  }
}

/** Tables as iptables-save prints them: chains and rules ("-A CHAIN ...") per table. */
export type Ruleset = Map<string, { chains: Set<string>; rules: Set<string> }>;

export function iptablesSave(): Ruleset {
  return parseRuleset(run('iptables-save', [], '', 'reading iptables rules'));
}

export async function iptablesSaveAsync(): Promise<Ruleset> {
  return parseRuleset(await runAsync('iptables-save', [], '', 'reading iptables rules'));
}

function parseRuleset(text: string): Ruleset {
  const out: Ruleset = new Map();
  let cur: { chains: Set<string>; rules: Set<string> } | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      cur = { chains: new Set(), rules: new Set() };
      out.set(line.slice(1), cur);
    } else if (cur && line.startsWith(':')) cur.chains.add(line.slice(1).split(' ')[0]);
    else if (cur && line.startsWith('-A ')) cur.rules.add(line);
  }
  return out;
}

function restoreInput(tables: Record<string, string[]>): string {
  let input = '';
  for (const [table, lines] of Object.entries(tables)) {
    if (lines.length === 0) continue;
    input += `*${table}\n${lines.join('\n')}\nCOMMIT\n`;
  }
  return input;
}

/** Applies per-table commands atomically (iptables-restore --noflush). */
export function iptablesRestore(tables: Record<string, string[]>): void {
  const input = restoreInput(tables);
  if (input) run('iptables-restore', ['-w', '--noflush'], input, 'changing iptables rules');
}

export async function iptablesRestoreAsync(tables: Record<string, string[]>): Promise<void> {
  const input = restoreInput(tables);
  if (input) await runAsync('iptables-restore', ['-w', '--noflush'], input, 'changing iptables rules');
}
