// `image scp`: an image from one engine to another, as Podman's: each side is
// this engine (`IMAGE`) or a stored connection (`CONNECTION::[IMAGE]`); the
// image goes through an archive saved on one side and loaded on the other.
// Both sides are engines of the one contract, so a remote client, the API's
// `images/scp` and the CLI share this. Transfers between users of this host
// (`USER@localhost::`) need sudo or machinectl logins and are refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../engine/engine';
import { invalidArgument } from '../errors';

export interface ScpLocation {
  /** a stored connection; undefined for this engine */
  connection?: string;
  /** `USER@localhost::`: another user of this host */
  user?: string;
  image: string;
}

export interface ScpPlan {
  source: ScpLocation;
  dest: ScpLocation;
  /** a name for the image at the destination (the image part of the destination argument) */
  tag?: string;
}

/** One argument: `IMAGE`, `CONNECTION::[IMAGE]` or `USER@localhost::[IMAGE]`. */
export function parseScpArg(arg: string): ScpLocation {
  const sep = arg.indexOf('::');
  if (sep < 0) return { image: arg };
  const host = arg.slice(0, sep);
  const image = arg.slice(sep + 2);
  if (host.endsWith('@localhost')) return { user: host.slice(0, -'@localhost'.length), image };
  if (!host) throw invalidArgument(`${JSON.stringify(arg)}: a connection name must come before "::"`);
  return { connection: host, image };
}

/** Podman's rules for the two arguments. */
export function planScp(src: string, dst?: string): ScpPlan {
  const source = parseScpArg(src);
  if (dst === undefined || dst === '') {
    if (!source.image) throw invalidArgument('no source image specified');
    if (!source.connection && source.user === undefined) throw invalidArgument('must specify a destination');
    return { source, dest: { image: '' } };
  }
  const dest = parseScpArg(dst);
  if (!source.image) throw invalidArgument('a source image must be specified');
  const plan: ScpPlan = { source, dest };
  if (dest.image) plan.tag = dest.image;
  if (!source.connection && !dest.connection && source.user === undefined && dest.user === undefined)
    throw invalidArgument('must specify a destination other than this engine (CONNECTION::)');
  return plan;
}

export interface ScpEngines {
  /** this engine (the CLI's own, or the service's in the API) */
  here: Engine;
  /** the engine of a stored connection */
  connection(name: string): Engine;
}

/** Saves the image on the source, loads it at the destination (tagged as asked); the names loaded there. */
export async function transferImage(plan: ScpPlan, engines: ScpEngines): Promise<string[]> {
  if (plan.source.user !== undefined || plan.dest.user !== undefined)
    throw invalidArgument('transfers between users of this host (USER@localhost::) are not supported: save the image and load it as the other user');
  const from = plan.source.connection ? engines.connection(plan.source.connection) : engines.here;
  const to = plan.dest.connection ? engines.connection(plan.dest.connection) : engines.here;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-scp-'));
  try {
    const archive = path.join(dir, 'image.tar');
    await from.transfer.saveImages([plan.source.image], { format: 'docker-archive', output: archive });
    const names = await to.transfer.loadImages(archive);
    if (plan.tag && names.length) {
      await to.tagImage(names[0], plan.tag);
      return [plan.tag];
    }
    return names;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
