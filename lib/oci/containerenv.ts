// /run/.containerenv, as Podman writes it: present in every container (tools
// test for it to know they run in one); a privileged container also learns
// the engine, its name, id and image from it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerRecord } from '../storage/records';
import { VERSION } from '../version';
import { isRootless } from '../rootless/identity';

export function containerEnvText(ctr: ContainerRecord, rootless: boolean): string {
  if (!ctr.config.privileged) return '';
  return [
    `engine="tspod-${VERSION}"`,
    `name=${JSON.stringify(ctr.name)}`,
    `id=${JSON.stringify(ctr.id)}`,
    `image=${JSON.stringify(ctr.imageName)}`,
    `imageid=${JSON.stringify(ctr.imageId)}`,
    `rootless=${rootless ? 1 : 0}`,
    '',
  ].join('\n');
}

/** Writes the file beside the container's other generated files; returns its path. */
export function writeContainerEnv(dir: string, ctr: ContainerRecord): string {
  const file = path.join(dir, '.containerenv');
  fs.writeFileSync(file, containerEnvText(ctr, isRootless()), { mode: 0o644 });
  return file;
}
