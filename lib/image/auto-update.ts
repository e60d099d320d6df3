// `auto-update`, as Podman's: running containers labelled
// io.containers.autoupdate=registry|local, started by a systemd unit (their
// PODMAN_SYSTEMD_UNIT label), get a newer image (registry: pulled when the
// registry's digest differs; local: the name now names another image) and their
// unit restarted; a unit that fails to restart, or a container whose health
// check fails after it, is rolled back to the previous image (--rollback).
import { spawn } from 'node:child_process';
import type { LocalEngine } from '../container/engine';
import type { ContainerRecord } from '../storage/records';
import { EngineError } from '../errors';
import { parseReference } from './reference';
import { resolveImage } from './resolve';
import { tagImage } from './tag';
import { pullImage, remoteDigest, type RegistryOptions } from './pull';
import { runHealthcheck } from '../container/healthcheck';

export const AUTO_UPDATE_LABEL = 'io.containers.autoupdate';
export const UNIT_LABEL = 'PODMAN_SYSTEMD_UNIT';

export interface AutoUpdateReport {
  Unit: string;
  /** "<short id> (<name>)", as Podman prints it */
  Container: string;
  ContainerID: string;
  ContainerName: string;
  Image: string;
  Policy: string;
  /** false, true, pending (--dry-run), failed, rolled back */
  Updated: string;
}

export interface AutoUpdateOptions extends RegistryOptions {
  dryRun: boolean;
  rollback: boolean;
}

/** `systemctl [--user] restart UNIT`; rejects with its output when it fails. */
export function systemctlRestart(unit: string): Promise<void> {
  const args = [...(process.getuid?.() === 0 ? [] : ['--user']), 'restart', unit];
  return new Promise((resolve, reject) => {
    const child = spawn('systemctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('error', (e) => reject(new EngineError('internal', `restarting unit ${unit}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new EngineError('internal', `restarting unit ${unit}: systemctl exited ${code}: ${out.trim()}`))));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running container of a unit (after a restart it may be a new one). */
function unitContainer(engine: LocalEngine, unit: string): ContainerRecord | undefined {
  return engine.list().find((c) => c.config.labels[UNIT_LABEL] === unit && c.state.status === 'running');
}

/**
 * After a restart: the unit's container runs and, when it has a health check,
 * passes it within its retries (a second apart). Throws when it does not.
 */
async function checkRestarted(engine: LocalEngine, unit: string): Promise<void> {
  let ctr: ContainerRecord | undefined;
  for (let i = 0; i < 50 && !(ctr = unitContainer(engine, unit)); i++) await sleep(100);
  if (!ctr) throw new EngineError('internal', `unit ${unit} has no running container after the restart`);
  const hc = ctr.config.healthcheck;
  if (!hc) return;
  const attempts = (hc.Retries || 3) + 1;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(1000);
    try {
      if ((await runHealthcheck(engine, ctr.id)).ok) return;
    } catch {
      /* stopped meanwhile: a failure like any other */
    }
  }
  throw new EngineError('internal', `the container of unit ${unit} failed its health check after the update`);
}

/** Runs the auto-update; reports per container, errors per container (the rest goes on). */
export async function autoUpdate(engine: LocalEngine, opts: AutoUpdateOptions): Promise<{ reports: AutoUpdateReport[]; errors: string[] }> {
  const restart = systemctlRestart;
  const reports: AutoUpdateReport[] = [];
  const errors: string[] = [];
  const candidates = engine.list().filter((c) => c.state.status === 'running' && c.config.labels[AUTO_UPDATE_LABEL] !== undefined);
  for (const ctr of candidates) {
    const policy = ctr.config.labels[AUTO_UPDATE_LABEL];
    const unit = ctr.config.labels[UNIT_LABEL] ?? '';
    const raw = ctr.config.image;
    const report: AutoUpdateReport = {
      Unit: unit,
      Container: `${ctr.id.slice(0, 12)} (${ctr.name})`,
      ContainerID: ctr.id,
      ContainerName: ctr.name,
      Image: raw,
      Policy: policy,
      Updated: 'false',
    };
    try {
      if (policy !== 'registry' && policy !== 'image' && policy !== 'local') throw new EngineError('invalid-argument', `invalid auto-update policy "${policy}": registry or local`);
      if (!unit) throw new EngineError('invalid-argument', `no ${UNIT_LABEL} label found`);
      let newer: boolean;
      if (policy === 'local') {
        newer = resolveImage(engine.store, raw).id !== ctr.imageId;
      } else {
        if (!parseReference(raw).explicitRegistry) throw new EngineError('invalid-argument', `raw-image name "${raw}" is not fully-qualified`);
        const remote = await remoteDigest(raw, opts);
        newer = remote !== undefined && remote !== engine.imageOf(ctr).digest;
      }
      if (!newer) {
        reports.push(report);
        continue;
      }
      if (opts.dryRun) {
        reports.push({ ...report, Updated: 'pending' });
        continue;
      }
      if (policy !== 'local') await pullImage(engine.store, raw, opts);
      try {
        await restart(unit);
        await checkRestarted(engine, unit);
        reports.push({ ...report, Updated: 'true' });
      } catch (e) {
        if (!opts.rollback) throw e;
        // The name goes back to the image the container ran, and the unit starts on it again.
        tagImage(engine.store, ctr.imageId, raw);
        await restart(unit);
        reports.push({ ...report, Updated: 'rolled back' });
        errors.push(`auto-updating container "${ctr.id}": ${(e as Error).message}: rolled back to the previous image`);
      }
    } catch (e) {
      reports.push({ ...report, Updated: 'failed' });
      errors.push(`auto-updating container "${ctr.id}": ${(e as Error).message}`);
    }
  }
  return { reports, errors };
}
