// The infra container's image: Debian's static catatonit (a tiny init that
// only sleeps and reaps) as a one-file local image, made on first use, never
// pulled. Named as Podman names its own: localhost/podman-pause:VERSION-BUILT
// (what `version --format {{.Server.Version}}-{{.Server.Built}}` prints).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { LocalEngine } from '../container/engine';
import { EngineError } from '../errors';
import { resolveImage } from '../image/resolve';
import { importTarball } from '../image/import';
import { BUILT, VERSION } from '../version';

export const INFRA_IMAGE = `localhost/podman-pause:${VERSION}-${BUILT}`;
const PAUSE_BINARY = '/usr/bin/catatonit';

function haveImage(engine: LocalEngine, ref: string): boolean {
  try {
    resolveImage(engine.store, ref);
    return true;
  } catch {
    return false;
  }
}

/** Makes the infra image unless it exists; returns its name. */
export async function ensureInfraImage(engine: LocalEngine): Promise<string> {
  if (haveImage(engine, INFRA_IMAGE)) return INFRA_IMAGE;
  if (!fs.existsSync(PAUSE_BINARY))
    throw new EngineError('internal', `building the infra image: ${PAUSE_BINARY} is missing (apt-get install catatonit)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-pause-'));
  try {
    fs.mkdirSync(path.join(dir, 'rootfs'));
    fs.copyFileSync(PAUSE_BINARY, path.join(dir, 'rootfs', 'catatonit'));
    fs.chmodSync(path.join(dir, 'rootfs', 'catatonit'), 0o755);
    const tar = path.join(dir, 'rootfs.tar');
    const r = spawnSync('tar', ['-C', path.join(dir, 'rootfs'), '--owner=0', '--group=0', '-cf', tar, 'catatonit'], { encoding: 'utf8' });
    if (r.status !== 0) throw new EngineError('internal', `building the infra image: tar: ${r.stderr || r.error?.message}`);
    await importTarball(engine.store, tar, INFRA_IMAGE, ['ENTRYPOINT ["/catatonit", "-P"]']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return INFRA_IMAGE;
}
