// `cp`: files between a container and the host, or two containers, with
// Podman's rules, local and remote alike: the container side is the Engine
// contract's archive calls (stat, get, put: Podman's ContainerStat and
// ContainerCopyTo/FromArchive), which resolve every container path in the
// container's root with the kernel, through its mounts (lib/container/archive.ts,
// here or in the service). Container paths follow their symlinks inside the
// container; a dangling symlink as the destination makes its target. Host paths
// are the user's own and follow the host's symlinks, but only a directory or a
// regular file is ever written.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CommandDef, CliContext } from '../command';
import { bool, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { extractTar, packTar } from '../../container/archive';
import { openArchive, readTarEntries } from '../../storage/layer';
import type { PathStat } from '../../engine/observe';

interface CpArg {
  ctr?: string;
  /** the path (a container path made absolute from the working directory) */
  path: string;
  /** the path as the user wrote it, for messages */
  raw: string;
}

/** `ctr:path` or a host path (a path with a slash before any colon is a host path). */
function splitCpArg(arg: string): CpArg {
  const i = arg.indexOf(':');
  if (i <= 0 || arg.slice(0, i).includes('/') || arg.startsWith('.')) return { path: arg, raw: arg };
  const p = arg.slice(i + 1) || '/';
  return { ctr: arg.slice(0, i), path: p, raw: p };
}

/** `dir/.` or `.`: a directory's content, not the directory. */
const contentOnly = (p: string) => /(^|\/)\.$/.test(p);

/** A resolved container path without the `/` or `/.` cp keeps on it. */
const bare = (p: string) => p.replace(/\/\.?$/, '') || '/';

const notOnContainer = (p: string, ctr: string) => new EngineError('no-such-object', `"${p}" could not be found on container ${ctr}: no such file or directory`);
const notOnHost = (p: string) => new EngineError('no-such-object', `"${p}" could not be found on the host: no such file or directory`);
const dirToFile = () => new EngineError('invalid-argument', 'destination must be a directory when copying a directory');

function lstatOrUndefined(p: string): fs.Stats | undefined {
  return fs.lstatSync(p, { throwIfNoEntry: false });
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

/** The fd of this process that dest names through its links (/dev/stdout -> /proc/self/fd/1), if it does. */
function ownFdOf(dest: string): number | undefined {
  let p = path.resolve(dest);
  for (let hops = 0; hops < 16; hops++) {
    const m = /^\/(?:proc\/self|proc\/thread-self|dev)\/fd\/(\d+)$/.exec(p);
    if (m) return Number(m[1]);
    if (!lstatOrUndefined(p)?.isSymbolicLink()) return undefined;
    p = path.resolve(path.dirname(p), fs.readlinkSync(p));
  }
  return undefined;
}

/**
 * Writes the single file of a tar into the host file dest names through a
 * symlink (the link stays, its target gets the content; a dangling link's
 * target is created). /dev/stdout on a regular file writes through fd 1.
 */
async function writeThrough(tar: Readable, dest: string, src: string): Promise<void> {
  let written = false;
  await readTarEntries(tar, async (h, body) => {
    if (written || (h.type !== 'file' && h.type !== 'contiguous-file')) {
      for await (const _ of body); // drain
      if (!written) throw new EngineError('invalid-argument', `cannot copy "${src}" onto "${dest}": not a regular file`);
      return;
    }
    written = true;
    const { O_WRONLY, O_CREAT, O_TRUNC } = fs.constants;
    const own = ownFdOf(dest);
    const out =
      own !== undefined
        ? fs.createWriteStream('', { fd: own, autoClose: false })
        : fs.createWriteStream('', { fd: fs.openSync(dest, O_WRONLY | O_CREAT | O_TRUNC, 0o644) });
    await pipeline(Readable.from(body), out);
  });
  if (!written) throw new EngineError('invalid-argument', `cannot copy "${src}" onto "${dest}": not a regular file`);
}

/** A container path as cp takes it: relative ones start at the container's working directory. */
async function inWorkdir(ctx: CliContext, ctr: string, p: string): Promise<string> {
  if (p.startsWith('/')) return p;
  const doc = (await ctx.client.inspectContainer(ctr)) as { Config?: { WorkingDir?: string } };
  return `${(doc.Config?.WorkingDir || '/').replace(/\/+$/, '')}/${p}`;
}

/**
 * What `cp` sees at a container path (Podman's ContainerStat): symlinks
 * followed all the way; resolved is the container path they lead to, with
 * the `/` or `/.` the user wrote kept at its end. A dangling symlink gives
 * the container path it points at (cp creates that).
 */
type CpStat = { found: true; isDir: boolean; resolved: string; name: string } | { found: false; danglingTarget?: string };

const isDirMode = (mode: number) => (mode & 0x80000000) !== 0; // Go's os.ModeDir

async function statIfThere(ctx: CliContext, ctr: string, p: string): Promise<PathStat | undefined> {
  try {
    return await ctx.client.observe.statPath(ctr, p);
  } catch (e) {
    if (e instanceof EngineError && e.kind === 'no-such-object') return undefined;
    throw e;
  }
}

/**
 * cp's view of a container path from the contract's stat, which does not
 * follow a final symlink: its linkTarget is where the kernel's resolution in
 * the container's root leads (or, dangling, the path the link names).
 * Between the calls the path may change: each call resolves it anew inside
 * the container's root, so a race only makes the copy fail, never escape.
 */
async function cpStat(ctx: CliContext, ctr: string, p: string): Promise<CpStat> {
  const suffix = /\/\.$/.test(p) ? '/.' : /\/$/.test(p) ? '/' : '';
  const at = bare(p);
  const s = await statIfThere(ctx, ctr, at);
  if (!s) return { found: false };
  let where = at;
  let st = s;
  if (s.linkTarget) {
    // dangling as the engine resolved it (a link in a stopped container's volume stays inside the volume);
    // a service that does not say (Podman's) is asked about the target
    const t = s.linkDangling ? undefined : await statIfThere(ctx, ctr, s.linkTarget);
    // a trailing `/` follows the link: a dangling one is then just missing
    if (!t) return suffix ? { found: false } : { found: false, danglingTarget: s.linkTarget };
    where = s.linkTarget;
    st = t;
  }
  const isDir = isDirMode(st.mode);
  if (suffix && !isDir) return { found: false };
  const resolved = where === '/' ? (suffix === '/.' ? '/.' : '/') : where + suffix;
  return { found: true, isDir, resolved, name: st.name };
}

/** A tar of the container path (already resolved), its top entry named by its base name. */
async function archiveOf(ctx: CliContext, ctr: string, resolved: string): Promise<Readable> {
  return (await ctx.client.observe.getArchive(ctr, resolved)).tar;
}

/** The container path src must be at (symlinks followed), or Podman's refusal. */
async function containerFile(ctx: CliContext, ctr: string, src: CpArg): Promise<{ resolved: string; name: string; isDir: boolean }> {
  const info = await cpStat(ctx, ctr, src.path);
  if (!info.found) throw notOnContainer(src.raw, ctr);
  return { resolved: bare(info.resolved), name: info.name, isDir: info.isDir };
}

/** What cp copies into a container: whether it is a directory, and a tar of it whose top entry is named name. */
interface CpSource {
  /** the source's own name (its base name) */
  name: string;
  isDir: boolean;
  /** the source ends in `/.` (a directory's content, not the directory) */
  contentOnly: boolean;
  tar(name: string): Promise<{ tar: Readable; rebase?: { from: string; to: string } }>;
}

/** A host file or directory, its symlinks followed (as Podman), named as the user named it. */
function hostSource(src: string): CpSource {
  const abs = path.resolve(src);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    throw notOnHost(src);
  }
  const st = statOrUndefined(real);
  if (!st) throw notOnHost(src);
  return { name: path.basename(abs) || '/', isDir: st.isDirectory(), contentOnly: contentOnly(src), tar: async (name) => ({ tar: packTar(real, name) }) };
}

async function containerSource(ctx: CliContext, ctr: string, src: CpArg): Promise<CpSource> {
  const f = await containerFile(ctx, ctr, src);
  return {
    name: f.name,
    isDir: f.isDir,
    contentOnly: contentOnly(src.raw),
    tar: async (name) => ({ tar: await archiveOf(ctx, ctr, f.resolved), rebase: { from: f.name, to: name === '.' ? '' : name } }),
  };
}

async function copyFromContainer(ctx: CliContext, ctr: string, src: CpArg, dest: string, overwrite: boolean): Promise<void> {
  const f = await containerFile(ctx, ctr, src);
  if (dest === '-') {
    const tar = await archiveOf(ctx, ctr, f.resolved);
    await new Promise<void>((resolve, reject) => {
      tar.on('error', reject);
      tar.on('end', resolve);
      tar.pipe(process.stdout, { end: false });
    });
    return;
  }
  const lst = lstatOrUndefined(dest);
  const st = lst?.isSymbolicLink() ? statOrUndefined(dest) : lst;
  const noOverwriteDirNonDir = !overwrite;
  if (st?.isDirectory()) {
    // Extracted with the destination directory as the root: nothing from the container's tar
    // (a symlink it names, an entry's parents) reaches past it.
    const tar = await archiveOf(ctx, ctr, f.resolved);
    await extractTar(path.resolve(dest), '/', tar, contentOnly(src.raw) && f.isDir ? { rebase: { from: f.name, to: '' }, noOverwriteDirNonDir } : { noOverwriteDirNonDir });
    return;
  }
  // Only a directory or a regular file is written (Podman): never a device, a FIFO or a socket.
  if (st && !st.isFile()) throw new EngineError('invalid-argument', `invalid destination: "${dest}" must be a directory or a regular file`);
  if (f.isDir && st) throw dirToFile();
  if (lst?.isSymbolicLink() && !f.isDir) {
    // a symlink (to a file, or dangling) stays; its target gets the content
    await writeThrough(await archiveOf(ctx, ctr, f.resolved), dest, src.raw);
    return;
  }
  if (!st && (/\/$/.test(dest) || lst)) throw notOnHost(dest);
  const parent = path.dirname(path.resolve(dest));
  if (!statOrUndefined(parent)?.isDirectory()) throw notOnHost(dest);
  const tar = await archiveOf(ctx, ctr, f.resolved);
  await extractTar(parent, '/', tar, { rebase: { from: f.name, to: path.basename(dest) }, noOverwriteDirNonDir });
}

/**
 * Where a copy into the container goes: the directory to extract into and the
 * name the source takes there ('.' for a directory's content).
 */
async function destinationIn(ctx: CliContext, ctr: string, dest: CpArg, src: Pick<CpSource, 'isDir' | 'contentOnly' | 'name'>): Promise<{ dir: string; name: string }> {
  const info = await cpStat(ctx, ctr, dest.path);
  if (info.found) {
    const at = bare(info.resolved);
    if (info.isDir) return { dir: at, name: src.contentOnly && src.isDir ? '.' : src.name };
    if (src.isDir) throw dirToFile();
    return { dir: path.posix.dirname(at), name: path.posix.basename(at) };
  }
  if (/\/$/.test(dest.raw)) throw notOnContainer(dest.raw, ctr);
  // Not there: made in its parent; a dangling symlink makes its target (Podman).
  const target = path.posix.resolve('/', info.danglingTarget ?? dest.path);
  const parent = await cpStat(ctx, ctr, path.posix.dirname(target));
  if (!parent.found || !parent.isDir) throw notOnContainer(dest.raw, ctr);
  return { dir: bare(parent.resolved), name: path.posix.basename(target) };
}

async function copyToContainer(ctx: CliContext, src: CpSource, ctr: string, dest: CpArg, overwrite: boolean): Promise<void> {
  const { dir, name } = await destinationIn(ctx, ctr, dest, src);
  const { tar, rebase } = await src.tar(name);
  await ctx.client.observe.putArchive(ctr, dir, tar, { noOverwriteDirNonDir: !overwrite, ...(rebase ? { rebase } : {}) });
}

const TAR_BLOCK = 512;

/** A tar header block: its checksum (bytes 148-155, octal) is the sum of its bytes with that field as spaces. */
function isTarHeader(block: Buffer): boolean {
  if (block.length < TAR_BLOCK) return false;
  const field = block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum === parseInt(field, 8);
}

/** stdin as a tar: gzip is inflated; anything else that does not start with a tar header is refused. */
async function tarFromStdin(input: Readable): Promise<Readable> {
  const notTar = () => new EngineError('invalid-argument', 'source must be a (compressed) tar archive when copying from stdin');
  let tar: Readable;
  try {
    ({ tar } = await openArchive(input, undefined, false));
  } catch {
    throw notTar();
  }
  const it = tar[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let n = 0;
  try {
    while (n < TAR_BLOCK) {
      const r = await it.next();
      if (r.done) break;
      head.push(r.value);
      n += r.value.length;
    }
  } catch {
    throw notTar();
  }
  const first = Buffer.concat(head);
  if (!isTarHeader(first.subarray(0, TAR_BLOCK))) {
    tar.destroy();
    throw notTar();
  }
  return Readable.from(
    (async function* () {
      yield first;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    })(),
  );
}

async function copyStdinToContainer(ctx: CliContext, ctr: string, dest: CpArg, overwrite: boolean): Promise<void> {
  const info = await cpStat(ctx, ctr, dest.path);
  if (!info.found && /\/$/.test(dest.raw)) throw notOnContainer(dest.raw, ctr);
  if (!info.found || !info.isDir) throw new EngineError('invalid-argument', 'destination must be a directory when copying from stdin');
  const tar = await tarFromStdin(process.stdin);
  await ctx.client.observe.putArchive(ctr, bare(info.resolved), tar, { noOverwriteDirNonDir: !overwrite });
}

export const cpCommand: CommandDef = {
  name: 'cp',
  usage: 'tspod cp [options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', type: 'bool', default: true, help: 'Chown copied files to the primary uid/gid of the destination container.' },
    { name: 'overwrite', type: 'bool', help: 'Allow to overwrite directories with non-directories and vice versa' },
    // Podman pauses a running container during the copy; tspod resolves every path in the
    // container's root with the kernel and works on held fds, so nothing is paused (either value).
    { name: 'pause', type: 'bool', default: true, help: 'Pause the container while copying (tspod never needs to)' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    const [a, b] = p.args.map(splitCpArg);
    // in order: the first missing container is the one reported, in Podman's words
    for (const arg of [a, b])
      if (arg.ctr) {
        if (!(await ctx.client.exists(arg.ctr))) throw new EngineError('no-such-container', `container ${JSON.stringify(arg.ctr)} does not exist`);
        arg.path = await inWorkdir(ctx, arg.ctr, arg.path);
      }
    if (!a.ctr && !b.ctr) throw new UsageError('invalid arguments "' + p.args.join('", "') + '" you must use just one container');
    const overwrite = bool(p.flags.overwrite);
    if (a.ctr && b.ctr) await copyToContainer(ctx, await containerSource(ctx, a.ctr, a), b.ctr, b, overwrite);
    else if (a.ctr) await copyFromContainer(ctx, a.ctr, a, b.path, overwrite);
    else if (b.ctr && a.path === '-') await copyStdinToContainer(ctx, b.ctr, b, overwrite);
    else if (b.ctr) await copyToContainer(ctx, hostSource(a.path), b.ctr, b, overwrite);
    return 0;
  },
};
