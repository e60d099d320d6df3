// The transfer part of the Engine contract: load, import, save, push (Podman's
// ImageEngine Load/Import/Save/Push) and a container's export, with its in-process
// implementation. Paths and '-' name the client's files (and stdin/stdout):
// the remote side (lib/remote/transfer.ts) reads and writes them itself and
// streams the tars to and from the service.
import * as fs from 'node:fs';
import { EngineError } from '../errors';
import type { Readable, Writable } from 'node:stream';
import type { LocalEngine } from '../container/engine';
import type { Credentials } from '../config/auth-json';
import type { SaveFormat } from '../image/save';

export type { SaveFormat };

export interface ImportRequest {
  /** the new image's name (localhost/ when it has no registry) */
  reference?: string;
  /** --change instructions */
  changes: string[];
  message?: string;
}

export interface SaveRequest {
  format: SaveFormat;
  /** a file (archives), a directory (oci-dir, docker-dir), or '-' for stdout */
  output: string;
  /** OCI formats: layers as plain tars */
  uncompressed?: boolean;
  /** -m: more arguments are more images; without it (docker-archive), more names of the first image, as Podman */
  multiImage?: boolean;
}

/** docker-archive without -m: the first argument is the image, the others more names for it (Podman's save). */
export function saveTargets(refs: string[], req: SaveRequest): { refs: string[]; additionalTags?: string[] } {
  if (req.format !== 'docker-archive' || req.multiImage || refs.length < 2) return { refs };
  return { refs: refs.slice(0, 1), additionalTags: refs.slice(1) };
}

export interface PushRequest {
  quiet?: boolean;
  tlsVerify?: boolean;
  authfile?: string;
  credentials?: Credentials;
}

export interface TransferEngine {
  /** The images of an archive (a path, an http(s) URL, '-' for stdin, or a stream); the names loaded. */
  loadImages(input: string | Readable): Promise<string[]>;
  /** A root file system tarball (a path, an http(s) URL, '-' or a stream) as a one-layer image; its id. */
  importImage(source: string | Readable, req: ImportRequest): Promise<string>;
  /** Writes the images to req.output (an archive, or a directory for the dir formats). */
  saveImages(refs: string[], req: SaveRequest): Promise<void>;
  /** Pushes src to dest (default: its name), progress on stderr; the manifest digest pushed. */
  pushImage(src: string, dest: string | undefined, req: PushRequest): Promise<string>;
  /** A container's root file system as a tar, to output (a file, or '-' for stdout). */
  exportContainer(nameOrId: string, output: string): Promise<void>;
}

/** The client's output: '-' is stdout; a file is written under a temporary name and renamed once complete. */
export async function writeClientOutput(output: string, write: (out: Writable) => Promise<void>): Promise<void> {
  if (output === '-') return write(process.stdout);
  const tmp = `${output}.tspod-${process.pid}.tmp`;
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EngineError('invalid-argument', `open ${output}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  try {
    await write(fs.createWriteStream(tmp, { fd }));
    fs.renameSync(tmp, output);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export class LocalTransfer implements TransferEngine {
  constructor(private readonly local: LocalEngine) {}

  async loadImages(input: string | Readable): Promise<string[]> {
    const { loadArchive } = await import('../image/archive');
    return loadArchive(this.local.store, input);
  }

  async importImage(source: string | Readable, req: ImportRequest): Promise<string> {
    const { importTarball } = await import('../image/import');
    return (await importTarball(this.local.store, source, req.reference, req.changes)).id;
  }

  async saveImages(refs: string[], req: SaveRequest): Promise<void> {
    const { saveImages } = await import('../image/save');
    const t = saveTargets(refs, req);
    await saveImages(this.local.store, t.refs, { format: req.format, output: req.output, uncompressed: req.uncompressed, additionalTags: t.additionalTags });
  }

  async pushImage(src: string, dest: string | undefined, req: PushRequest): Promise<string> {
    const { archiveTransport } = await import('../image/transport-ref');
    const archive = dest ? archiveTransport(dest) : undefined;
    if (archive) {
      const { saveImages } = await import('../image/save');
      const { resolveImage } = await import('../image/resolve');
      const { emitImageEvent } = await import('../events/journal');
      await saveImages(this.local.store, [src], { format: archive.format, output: archive.path, event: false });
      emitImageEvent(this.local.paths, 'push', resolveImage(this.local.store, src).id, dest as string);
      return '';
    }
    const { pushImage } = await import('../image/push');
    const { stderrProgress } = await import('../image/registry/progress');
    const r = await pushImage(this.local.store, src, dest, { tlsVerify: req.tlsVerify, authfile: req.authfile, credentials: req.credentials, progress: stderrProgress(!!req.quiet) });
    return r.digest;
  }

  async exportContainer(nameOrId: string, output: string): Promise<void> {
    const { exportContainer, exportTarget } = await import('../container/export');
    const rec = exportTarget(this.local, nameOrId);
    await writeClientOutput(output, (out) => exportContainer(this.local, rec, out));
  }
}
