// The user's side of an interactive container or exec: the terminal in raw
// mode while attached (restored on every way out), its window size followed
// (at start and on every SIGWINCH), and the detach keys watched for.
import type { AttachStreams } from '../container/attach';
import { parseDetachKeys } from './detach-keys';
import { native } from '../native';

export interface WindowSize {
  rows: number;
  cols: number;
}

export interface UserTerminal {
  streams: AttachStreams;
  /** Resolves when the user typed the detach keys. */
  detached: Promise<void>;
  /** Leaves raw mode and stops reading; safe to call more than once. */
  restore(): void;
}

/** The size of the terminal we run in: stdin's first, as Podman reads it, else stdout's or stderr's. */
export function currentWindowSize(): WindowSize | undefined {
  if (process.stdin.isTTY) {
    try {
      const [rows, cols] = native().getWinsize(0);
      if (rows && cols) return { rows, cols };
    } catch {
      /* an older addon, or the terminal is gone */
    }
  }
  for (const s of [process.stdout, process.stderr]) {
    if (s.isTTY && s.columns && s.rows) return { rows: s.rows, cols: s.columns };
  }
  return undefined;
}

export interface UserTerminalOptions {
  /** the container (or exec) has a terminal */
  tty: boolean;
  /** our stdin goes to it */
  stdin: boolean;
  /** --detach-keys ('' disables) */
  detachKeys: string;
}

export function userTerminal(opts: UserTerminalOptions): UserTerminal {
  const keys = parseDetachKeys(opts.detachKeys);
  const stdin = process.stdin;
  const raw = opts.tty && opts.stdin && stdin.isTTY === true;
  let onDetach!: () => void;
  const detached = new Promise<void>((resolve) => {
    onDetach = resolve;
  });
  let winch: (() => void) | undefined;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    if (winch) process.off('SIGWINCH', winch);
    if (raw) {
      try {
        stdin.setRawMode(false);
      } catch {
        /* the terminal is gone */
      }
    }
    if (opts.stdin) stdin.pause();
    process.off('exit', restore);
  };
  if (raw) {
    stdin.setRawMode(true);
    try {
      native().rawOutput(0); // the container's terminal already turned \n into \r\n
    } catch {
      /* not fatal: only the line endings double */
    }
    process.on('exit', restore); // also on process.exit() from anywhere
  }
  /** The container's terminal gets our size now and after every window change. */
  const follow = (resize: (rows: number, cols: number) => void) => {
    if (!opts.tty || restored) return;
    const apply = () => {
      const size = currentWindowSize();
      if (size) resize(size.rows, size.cols);
    };
    winch = apply;
    process.on('SIGWINCH', winch);
    apply();
  };
  return {
    streams: {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: opts.stdin ? stdin : undefined,
      // Only a person typing at a terminal detaches; piped input is passed through whole.
      detachKeys: opts.stdin && stdin.isTTY ? keys : undefined,
      onDetach: () => onDetach(),
      onTerminal: follow,
    },
    detached,
    restore,
  };
}
