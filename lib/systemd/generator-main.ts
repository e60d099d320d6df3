// tspod-systemd-generator: a systemd generator (systemd.generator(7)) that turns
// quadlet `.container` and `.kube` files into `.service` units, like Podman's quadlet.
//   tspod-systemd-generator [--user] [--dryrun] [normal-dir [early-dir [late-dir]]]
// Search path: QUADLET_UNIT_DIRS (colon separated) or quadlet's default dirs.
// An error in one file is printed to stderr and the others are still generated.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertContainer, convertKube, installTargets, QuadletError } from './quadlet';

const CONVERTERS: Record<string, typeof convertContainer> = { '.container': convertContainer, '.kube': convertKube };

function unitDirs(user: boolean): string[] {
  const env = process.env.QUADLET_UNIT_DIRS;
  if (env) return env.split(':').filter(Boolean);
  if (!user) return ['/run/containers/systemd', '/etc/containers/systemd', '/usr/share/containers/systemd'];
  const uid = process.getuid?.() ?? 0;
  const home = process.env.HOME || os.homedir();
  const dirs: string[] = [];
  if (process.env.XDG_RUNTIME_DIR) dirs.push(path.join(process.env.XDG_RUNTIME_DIR, 'containers/systemd'));
  dirs.push(path.join(process.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'containers/systemd'));
  dirs.push(`/etc/containers/systemd/users/${uid}`, '/etc/containers/systemd/users');
  dirs.push(`/usr/share/containers/systemd/users/${uid}`, '/usr/share/containers/systemd/users');
  return dirs;
}

/** name → path; the first directory that has a name wins. */
function findUnits(dirs: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) if (Object.hasOwn(CONVERTERS, path.extname(n)) && !found.has(n)) found.set(n, path.join(dir, n));
  }
  return found;
}

function main(argv: string[]): number {
  let user = /user/.test(path.basename(process.argv[1] ?? '')) && !/system/.test(path.basename(process.argv[1] ?? ''));
  let dryrun = false;
  const dirs: string[] = [];
  for (const a of argv) {
    if (a === '--user' || a === '-user') user = true;
    else if (a === '--dryrun' || a === '-dryrun') dryrun = true;
    else if (a === '-v' || a === '--verbose' || a === '-no-kmsg-log' || a === '--no-kmsg-log') continue;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('Usage: tspod-systemd-generator [--user] [--dryrun] [normal-dir [early-dir [late-dir]]]\n');
      return 0;
    } else if (a.startsWith('-')) {
      process.stderr.write(`tspod-systemd-generator: unknown option ${a}\n`);
      return 2;
    } else dirs.push(a);
  }
  if (!dryrun && dirs.length < 1) {
    process.stderr.write('tspod-systemd-generator: missing output directory\n');
    return 2;
  }
  const outDir = dirs[0];
  let failed = false;
  const made = new Map<string, string>(); // service -> its source
  for (const [file, src] of findUnits(unitDirs(user))) {
    const ext = path.extname(file);
    const service = `${file.slice(0, -ext.length)}.service`;
    try {
      // app.container and app.kube would both be app.service: the first (by name) wins
      const other = made.get(service);
      if (other) throw new QuadletError(`${service} is already generated from ${other}`);
      made.set(service, src);
      const text = fs.readFileSync(src, 'utf8');
      const unit = CONVERTERS[ext](text, { sourcePath: src, user });
      if (dryrun) {
        process.stdout.write(`---${service}---\n${unit}\n`);
        continue;
      }
      fs.mkdirSync(outDir, { recursive: true });
      fs.writeFileSync(path.join(outDir, service), unit);
      // [Install] cannot be enabled for a generated unit: link it as quadlet does.
      const { wants, requires } = installTargets(text);
      for (const [targets, suffix] of [[wants, 'wants'], [requires, 'requires']] as const)
        for (const t of targets) {
          const d = path.join(outDir, `${t}.${suffix}`);
          fs.mkdirSync(d, { recursive: true });
          const link = path.join(d, service);
          fs.rmSync(link, { force: true });
          fs.symlinkSync(`../${service}`, link);
        }
    } catch (e) {
      failed = true;
      process.stderr.write(`tspod-systemd-generator: converting "${src}": ${(e as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
