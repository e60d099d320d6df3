// Typed access to the small N-API addon (tspod_native.c), loaded on first use.
import * as path from 'node:path';
import * as fs from 'node:fs';

export interface WaitResult {
  pid: number;
  code?: number;
  signal?: number;
}

export interface NativeAddon {
  setSubreaper(): void;
  /** undefined while the child runs (with nohang), its status once reaped. */
  waitpid(pid: number, nohang: boolean): WaitResult | undefined;
  execve(file: string, argv: string[], env: string[]): never;
  /** true when the lock was taken, false when nonblocking and it would block. */
  flock(fd: number, exclusive: boolean, nonblocking: boolean): boolean;
  funlock(fd: number): void;
  mount(source: string, target: string, fstype: string, flags: number, data: string | null): void;
  umount(target: string, flags: number): void;
  mknod(file: string, mode: number, major: number, minor: number): void;
  lsetxattr(file: string, name: string, value: string): void;
  lgetxattr(file: string, name: string): string | undefined;
  dgramSend(socketPath: string, data: Buffer): void;
  dgramBind(socketPath: string): number;
  dgramRecv(fd: number): Buffer | undefined;
  fdIsOpen(fd: number): boolean;
  /** poll(2) for input: the index of the first readable fd, -1 on timeout or EINTR. Blocking. */
  pollReadable(fds: number[], timeoutMs: number): number;
  setCloexec(fd: number, on: boolean): void;
  /** [read, write], both close-on-exec. */
  pipe(): [number, number];
  /** The fd a peer sent with SCM_RIGHTS on a connected unix socket (close-on-exec); undefined if none came. */
  recvFd(socketFd: number, timeoutMs: number): number | undefined;
  /** TIOCSWINSZ: a pty's window size. */
  setWinsize(fd: number, rows: number, cols: number): void;
  /** TIOCGWINSZ: [rows, cols] */
  getWinsize(fd: number): [number, number];
  /** Clears OPOST on a terminal (raw output, as cfmakeraw). */
  rawOutput(fd: number): void;
  /** openat2(2): an fd (close-on-exec) for path resolved from dirFd under the RESOLVE_* bits. */
  openat2(dirFd: number, path: string, flags: number, mode: number, resolve: number): number;
  /** readlinkat(2); path '' reads the symlink an O_PATH|O_NOFOLLOW fd refers to. */
  readlinkat(dirFd: number, path: string): string;
  /**
   * One thread of this process (tid 0: the calling one): SCHED_RR at rtPriority, else nice (both
   * with SCHED_RESET_ON_FORK: what it starts gets the default priority). What it got:
   * 'realtime', 'nice' or 'none'.
   */
  raiseThreadPriority(rtPriority: number, nice: number, tid?: number): 'realtime' | 'nice' | 'none';
}

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MNT_DETACH = 2;

// openat2(2)
export const O_PATH = 0o10000000;
export const RESOLVE_NO_XDEV = 0x01;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;

let addon: NativeAddon | undefined;

// The addon sits in lib/native/build/Release; entry points run from dist/ (bundled)
// or build/ (tsc output for tests), so look relative to both.
function addonPath(): string {
  const candidates = [
    path.join(__dirname, '..', 'lib', 'native', 'build', 'Release', 'tspod_native.node'),
    path.join(__dirname, 'build', 'Release', 'tspod_native.node'),
    path.join(__dirname, '..', '..', '..', 'lib', 'native', 'build', 'Release', 'tspod_native.node'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`native addon not built (looked in ${candidates.join(', ')}); run npm install`);
}

export function native(): NativeAddon {
  if (!addon) {
    const mod = { exports: {} as NativeAddon };
    process.dlopen(mod, addonPath());
    addon = mod.exports;
  }
  return addon;
}
