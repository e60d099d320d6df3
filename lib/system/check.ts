// `tspod system check [--repair]` (Podman 5's command): finds damage in the
// store (a state file that does not parse, records whose files are gone) and,
// with repair, restores the state file from its backup and reconciles the
// records with what is on disk. Runs under the store lock: no command changes
// the state meanwhile.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineError } from '../errors';
import { parseDatabase, type Store } from '../storage/store';
import type { Database } from '../storage/records';
import { bundleDir, containerDir, dbBackupFile, dbFile, exitFile, layerDiffDir } from '../storage/paths';
import { digestHex } from '../storage/layer';
import { syncState } from '../container/state';
import { volumeMountpoint, volumesOf } from '../volume/volumes';

export interface CheckReport {
  /** what is wrong (still, or before it was repaired) */
  problems: string[];
  /** what --repair did */
  repaired: string[];
  /** problems --repair could not fix */
  remaining: number;
}

export function checkStore(store: Store, opts: { repair: boolean }): CheckReport {
  return store.locked(() => {
    const report: CheckReport = { problems: [], repaired: [], remaining: 0 };
    const db = checkStateFile(store, opts.repair, report);
    if (!db) return report;
    const before = JSON.stringify(db);
    checkRecords(store, db, opts.repair, report);
    removeStaleTempFiles(store, opts.repair, report);
    if (opts.repair && JSON.stringify(db) !== before) store.writeUnlocked(db);
    return report;
  });
}

/** The database, restored from the backup when damaged (with repair); undefined when it cannot be read. */
function checkStateFile(store: Store, repair: boolean, report: CheckReport): Database | undefined {
  try {
    return store.read();
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    const file = dbFile(store.paths);
    report.problems.push(err.message.replace(/: run "tspod system check --repair".*$/, ''));
    const backup = dbBackupFile(store.paths);
    let good: Database | undefined;
    let text = '';
    try {
      text = fs.readFileSync(backup, 'utf8');
      good = parseDatabase(backup, text);
    } catch (e) {
      report.problems.push(`no good copy to restore from: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? `${backup} does not exist` : (e as Error).message}`);
    }
    if (!repair || !good) {
      report.remaining++;
      return undefined;
    }
    // Keep the damaged file for a post-mortem; the backup's copy becomes the state.
    const kept = `${file}.damaged`;
    fs.renameSync(file, kept);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, text, { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    report.repaired.push(`restored ${file} from ${backup} (the damaged file is kept as ${kept})`);
    return good;
  }
}

function checkRecords(store: Store, db: Database, repair: boolean, report: CheckReport): void {
  const paths = store.paths;
  const found = (problem: string, fix: (() => string) | undefined) => {
    report.problems.push(problem);
    if (repair && fix) report.repaired.push(fix());
    else report.remaining++;
  };
  for (const c of Object.values(db.containers)) {
    const what = `container ${c.id.slice(0, 12)} (${c.name})`;
    syncState(paths, c); // an exit since the last write (as ps records it): no damage
    const running = c.state.status === 'running';
    const drop = running
      ? undefined
      : () => {
          delete db.containers[c.id];
          fs.rmSync(bundleDir(paths, c.id), { recursive: true, force: true });
          fs.rmSync(exitFile(paths, c.id), { force: true });
          return `${what}: removed its record`;
        };
    if (!fs.existsSync(containerDir(paths, c.id))) found(`${what}: its storage directory ${containerDir(paths, c.id)} is gone`, drop);
    else if (!c.config.rootfs && !db.images[c.imageId]) found(`${what}: its image ${c.imageId.slice(0, 12)} is gone`, drop);
  }
  for (const img of Object.values(db.images)) {
    const missing = img.layers.filter((l) => !fs.existsSync(layerDiffDir(paths, digestHex(l))));
    if (missing.length === 0) continue;
    const users = Object.values(db.containers).filter((c) => c.imageId === img.id);
    const what = `image ${img.id.slice(0, 12)} (${img.names[0] ?? '<none>'})`;
    found(
      `${what}: ${missing.length} of its layers ${missing.length === 1 ? 'is' : 'are'} gone${users.length ? `, used by ${users.length} container(s)` : ''}`,
      users.length
        ? undefined // its containers go first (tspod rm), then check again
        : () => {
            delete db.images[img.id];
            return `${what}: removed its record (pull or load it again)`;
          },
    );
  }
  for (const v of Object.values(volumesOf(db))) {
    const data = volumeMountpoint(paths, v.name);
    if (fs.existsSync(data)) continue;
    found(`volume ${v.name}: its data directory ${data} is gone`, () => {
      fs.mkdirSync(path.dirname(data), { recursive: true, mode: 0o700 });
      fs.mkdirSync(data, { mode: 0o755 });
      return `volume ${v.name}: made an empty data directory`;
    });
  }
}

/** db.json.<pid>.tmp of writers that died (killed, or an older tspod on a full disk). */
function removeStaleTempFiles(store: Store, repair: boolean, report: CheckReport): void {
  const dir = store.paths.root;
  for (const name of fs.readdirSync(dir)) {
    const m = /^db\.json\.(\d+)\.tmp$/.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    const file = path.join(dir, name);
    report.problems.push(`left-over temporary file ${file}`);
    if (repair) {
      fs.rmSync(file, { force: true });
      report.repaired.push(`removed ${file}`);
    } else report.remaining++;
  }
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
