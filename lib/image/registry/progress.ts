// Copy progress as Podman shows it: on a terminal, one live line per blob with
// size, total and rate; otherwise plain `Copying blob sha256:...` lines.
import { bytesSize } from '../../format/units';

export interface Progress {
  message(text: string): void;
  start(kind: 'blob' | 'config', digest: string, size: number): void;
  skipped(digest: string): void;
  advance(digest: string, bytes: number): void;
  /** bytes that were already there (a resumed download) */
  resumed(digest: string, bytes: number): void;
  done(digest: string): void;
  finish(): void;
}

export const silentProgress: Progress = {
  message() {},
  start() {},
  skipped() {},
  advance() {},
  resumed() {},
  done() {},
  finish() {},
};

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const mib = (n: number) => bytesSize(n);

/** Plain lines for logs and pipes (Podman's output when stderr is not a terminal). */
export class LineProgress implements Progress {
  constructor(private readonly write: (s: string) => void) {}
  message(text: string): void {
    this.write(`${text}\n`);
  }
  start(kind: 'blob' | 'config', digest: string): void {
    this.write(`Copying ${kind} ${digest}\n`);
  }
  skipped(digest: string): void {
    this.write(`Copying blob ${digest} skipped: already exists\n`);
  }
  advance(): void {}
  resumed(): void {}
  done(): void {}
  finish(): void {}
}

interface Bar {
  kind: string;
  digest: string;
  size: number;
  got: number;
  resumedBytes: number;
  started: number;
  ended?: number;
  state: 'copying' | 'done' | 'skipped';
}

/** Live bars redrawn in place (ANSI cursor movement) at most every 100 ms. */
export class TtyProgress implements Progress {
  private readonly bars: Bar[] = [];
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
  ) {}

  message(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    this.draw();
  }

  start(kind: 'blob' | 'config', digest: string, size: number): void {
    this.bars.push({ kind, digest, size, got: 0, resumedBytes: 0, started: Date.now(), state: 'copying' });
    this.schedule();
  }

  skipped(digest: string): void {
    this.bars.push({ kind: 'blob', digest, size: 0, got: 0, resumedBytes: 0, started: Date.now(), state: 'skipped' });
    this.schedule();
  }

  advance(digest: string, bytes: number): void {
    const bar = this.bars.find((b) => b.digest === digest && b.state === 'copying');
    if (bar) bar.got += bytes;
    this.schedule();
  }

  resumed(digest: string, bytes: number): void {
    const bar = this.bars.find((b) => b.digest === digest && b.state === 'copying');
    if (bar) {
      bar.got += bytes;
      bar.resumedBytes += bytes;
    }
  }

  done(digest: string): void {
    const bar = this.bars.find((b) => b.digest === digest && b.state === 'copying');
    if (bar) {
      bar.state = 'done';
      bar.got = Math.max(bar.got, bar.size);
      bar.ended = Date.now();
    }
    this.schedule();
  }

  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
    this.draw();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.clear();
      this.draw();
    }, 100);
    this.timer.unref();
  }

  private clear(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private line(b: Bar): string {
    const head = `Copying ${b.kind} ${short(b.digest)}`;
    if (b.state === 'skipped') return `${head} skipped: already exists`;
    const secs = Math.max(((b.ended ?? Date.now()) - b.started) / 1000, 0.001);
    const rate = `${mib((b.got - b.resumedBytes) / secs)}/s`;
    if (b.state === 'done') return `${head} done   ${mib(b.size).padStart(9)} | ${rate}`;
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70));
    const frac = b.size > 0 ? Math.min(1, b.got / b.size) : 0;
    const fill = Math.round(frac * width);
    const bar = `[${'='.repeat(Math.max(0, fill - 1))}${fill > 0 ? '>' : ''}${'-'.repeat(width - fill)}]`;
    return `${head} ${bar} ${mib(b.got).padStart(9)} / ${mib(b.size).padEnd(9)} | ${rate}`;
  }

  private draw(): void {
    const text = this.bars.map((b) => this.line(b)).join('\n');
    if (!text) return;
    this.stream.write(`${text}\n`);
    this.drawn = this.bars.length;
  }
}

/** The right reporter for stderr: bars on a terminal, plain lines otherwise, nothing with -q. */
export function stderrProgress(quiet: boolean): Progress {
  if (quiet) return silentProgress;
  if (process.stderr.isTTY) return new TtyProgress(process.stderr);
  return new LineProgress((s) => process.stderr.write(s));
}
