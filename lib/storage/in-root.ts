// The one way tspod touches files inside a container's (or image's) root file
// system: the root is held as an O_PATH directory fd, every container path is
// resolved by the kernel with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
// (`..` and absolute symlinks stop at the root), and every further step works
// on held fds: a single name inside a held directory (never followed), fstat,
// fchmod, readdir of the held directory. A container that swaps a directory for
// a symlink to `/` at any moment therefore moves tspod to another place inside
// its own root, never onto a host file (CVE-2018-15664).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { native, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH } from '../native';

const { O_DIRECTORY, O_NOFOLLOW, O_RDONLY } = fs.constants;
const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

/** The path through which a held fd (or a single name inside a held directory fd) is reached. */
export function fdPath(fd: number, name?: string): string {
  if (name === undefined) return `/proc/self/fd/${fd}`;
  checkName(name);
  return `/proc/self/fd/${fd}/${name}`;
}

/** A single directory entry name: no slash, not `.` or `..`, no NUL. */
function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
    throw new EngineError('invalid-argument', `invalid file name ${JSON.stringify(name)}`);
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

const isMissing = (err: unknown) => errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR';

/** O_PATH fd of the entry `name` in the held directory dirFd; a symlink is opened itself, never followed. */
export function openEntry(dirFd: number, name: string): number {
  checkName(name);
  return native().openat2(dirFd, name, O_PATH | O_NOFOLLOW, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
}

/** openEntry, or undefined when the name is not there. */
export function openEntryIfExists(dirFd: number, name: string): number | undefined {
  try {
    return openEntry(dirFd, name);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * Opens the very inode a held O_PATH fd refers to for real I/O (through its
 * /proc/self/fd magic link, which the kernel resolves to that inode, not by name).
 */
export function reopen(fd: number, flags: number): number {
  return fs.openSync(fdPath(fd), flags);
}

/**
 * chmod of the inode a held O_PATH fd refers to (as glibc's fchmodat with
 * AT_SYMLINK_NOFOLLOW does); a symlink is left alone, its mode means nothing.
 */
export function chmodHeld(fd: number, mode: number): void {
  if (fs.fstatSync(fd).isSymbolicLink()) return;
  fs.chmodSync(fdPath(fd), mode);
}

/** The target of the symlink a held O_PATH|O_NOFOLLOW fd refers to. */
export function readlinkHeld(fd: number): string {
  return native().readlinkat(fd, '');
}

/**
 * Removes the entry name of the held directory dirFd, a directory with all of
 * its content, each step inside held directories (a symlink is removed, never followed).
 */
export function removeEntry(dirFd: number, name: string): void {
  const fd = openEntryIfExists(dirFd, name);
  if (fd === undefined) return;
  let isDir = false;
  withFd(fd, () => {
    isDir = fs.fstatSync(fd).isDirectory();
    if (isDir) for (const child of readdirFd(fd)) removeEntry(fd, child);
  });
  if (isDir) fs.rmdirSync(fdPath(dirFd, name));
  else fs.unlinkSync(fdPath(dirFd, name));
}

/** The names in a held directory. */
export function readdirFd(dirFd: number): string[] {
  return fs.readdirSync(fdPath(dirFd));
}

export function closeFd(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}

/** Runs fn with an fd and closes it afterwards, whatever happens. */
export function withFd<T>(fd: number, fn: (fd: number) => T): T {
  try {
    return fn(fd);
  } finally {
    closeFd(fd);
  }
}

/** The largest image file read whole (/etc/passwd, /etc/group). */
export const MAX_SMALL_FILE = 4 * 1024 * 1024;

/** A root file system held open; close() when done. */
export class InRoot {
  private constructor(
    /** O_PATH fd of the root directory */
    readonly fd: number,
    /** the root's host path as the kernel names it (for container paths of held fds) */
    private readonly hostPath: string,
  ) {}

  /** Holds the directory at hostRoot (a path tspod owns, e.g. a container's mounted rootfs) as the root. */
  static open(hostRoot: string): InRoot {
    const fd = native().openat2(-100 /* AT_FDCWD */, hostRoot, O_PATH | O_DIRECTORY, 0, RESOLVE_NO_MAGICLINKS);
    let hostPath: string;
    try {
      hostPath = fs.readlinkSync(fdPath(fd));
    } catch (err) {
      closeFd(fd);
      throw err;
    }
    return new InRoot(fd, hostPath);
  }

  /**
   * Holds an already opened O_PATH directory fd as the root (the caller checked
   * what it is, e.g. a running container's /proc/PID/root); closed by close().
   */
  static adopt(fd: number): InRoot {
    let hostPath: string;
    try {
      hostPath = fs.readlinkSync(fdPath(fd));
    } catch (err) {
      closeFd(fd);
      throw err;
    }
    return new InRoot(fd, hostPath);
  }

  close(): void {
    closeFd(this.fd);
  }

  /**
   * O_PATH fd of the container path p, resolved inside the root by the kernel;
   * a symlink as the last component is followed only when follow is set.
   * Throws ENOENT / ENOTDIR / ELOOP errors as the kernel reports them.
   */
  resolve(p: string, follow: boolean): number {
    if (p.includes('\0')) throw new EngineError('invalid-argument', `invalid path ${JSON.stringify(p)}`);
    const rel = p.replace(/^\/+/, '') || '.';
    return native().openat2(this.fd, rel, O_PATH | (follow ? 0 : O_NOFOLLOW), 0, IN_ROOT);
  }

  /** resolve, or undefined when the path does not exist. */
  resolveIfExists(p: string, follow: boolean): number | undefined {
    try {
      return this.resolve(p, follow);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** O_PATH fd of the directory at p (followed), its missing components made with mode (owned by root). */
  mkdirAll(p: string, mode = 0o755): number {
    const parts = p.split('/').filter((c) => c !== '' && c !== '.');
    let fd = this.resolve('/', true);
    let sofar = '';
    try {
      for (const c of parts) {
        // Resolved from the root each time so that `..` and symlinks in p mean what they mean in the container.
        sofar += '/' + c;
        let next = this.resolveIfExists(sofar, true);
        if (next === undefined) {
          try {
            fs.mkdirSync(fdPath(fd, c), { mode });
          } catch (err) {
            if (errCode(err) !== 'EEXIST') throw err;
          }
          next = this.resolve(sofar, true);
          if (fs.fstatSync(next).isDirectory()) chmodHeld(next, mode);
        }
        closeFd(fd);
        fd = next;
        if (!fs.fstatSync(fd).isDirectory()) throw new EngineError('invalid-argument', `${sofar}: not a directory`);
      }
      return fd;
    } catch (err) {
      closeFd(fd);
      throw err;
    }
  }

  /** The container path of a held fd (where it is now; the container may move it, but never out of the root). */
  containerPathOf(fd: number): string {
    const host = fs.readlinkSync(fdPath(fd));
    if (host === this.hostPath) return '/';
    const prefix = this.hostPath === '/' ? '/' : this.hostPath + '/';
    if (!host.startsWith(prefix)) throw new EngineError('invalid-argument', `${host}: not inside the root (moved or deleted)`);
    return '/' + host.slice(prefix.length);
  }

  /**
   * The content of the regular file at container path p (symlinks followed
   * inside the root), undefined when it does not exist. A FIFO, device,
   * directory or a file over maxBytes is refused, so a hostile image can
   * neither block nor exhaust tspod.
   */
  readRegularFile(p: string, maxBytes = MAX_SMALL_FILE): Buffer | undefined {
    const pathFd = this.resolveIfExists(p, true);
    if (pathFd === undefined) return undefined;
    return withFd(pathFd, (pfd) => {
      const st = fs.fstatSync(pfd);
      if (!st.isFile()) throw new EngineError('invalid-argument', `${p} in the container is not a regular file`);
      if (st.size > maxBytes) throw new EngineError('invalid-argument', `${p} in the container is larger than ${maxBytes} bytes`);
      return withFd(reopen(pfd, O_RDONLY), (fd) => {
        const buf = Buffer.alloc(maxBytes + 1);
        let n = 0;
        for (;;) {
          const r = fs.readSync(fd, buf, n, buf.length - n, null);
          if (r === 0) break;
          n += r;
          if (n > maxBytes) throw new EngineError('invalid-argument', `${p} in the container is larger than ${maxBytes} bytes`);
        }
        return buf.subarray(0, n);
      });
    });
  }
}

/**
 * The host path of container path p under hostRoot, resolved by the kernel
 * inside the root (symlinks and `..` never leave it); components that do not
 * exist yet are appended as named. Only for trees no container process can
 * change while the path is in use (a build between its RUN steps, a build
 * context): where a container runs, work on held fds instead.
 */
export function hostPathInRoot(hostRoot: string, p: string, follow: boolean): string {
  return withRoot(hostRoot, (root) => {
    const parts = p.split('/').filter((c) => c !== '' && c !== '.');
    const missing: string[] = [];
    for (;;) {
      const fd = root.resolveIfExists('/' + parts.join('/'), missing.length === 0 ? follow : true);
      if (fd !== undefined) {
        const host = withFd(fd, (f) => fs.readlinkSync(fdPath(f)));
        const tail: string[] = [];
        for (const c of missing.reverse()) c === '..' ? tail.pop() : tail.push(c);
        return path.join(host, ...tail);
      }
      const last = parts.pop();
      if (last === undefined) throw new EngineError('no-such-object', `${hostRoot}: no such directory`);
      missing.push(last);
    }
  });
}

/** Runs fn with hostRoot held as an InRoot and releases it afterwards. */
export function withRoot<T>(hostRoot: string, fn: (root: InRoot) => T): T {
  const root = InRoot.open(hostRoot);
  try {
    return fn(root);
  } finally {
    root.close();
  }
}
