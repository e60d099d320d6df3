// `auto-update` without systemd (the e2e-systemd stage restarts real units):
// which containers it looks at, what --dry-run reports for the local and the
// registry policy (Debian's docker-registry on 127.0.0.1), the unit label taken
// from PODMAN_SYSTEMD_UNIT, and the per-container errors.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Registry, haveRegistry, startRegistry } from '../helpers/registry';
import { TspodEnv, cleanEnv } from '../helpers/tspod-env';

const env = new TspodEnv('auto-update');
const WAITER = ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'];
let registry: Registry | undefined;

before(async () => {
  env.importTestImages();
  if (haveRegistry) registry = await startRegistry(path.join(env.dir, 'registry'));
});
after(async () => {
  await registry?.stop();
  env.cleanup();
});

type Report = { Unit: string; ContainerName: string; Image: string; Policy: string; Updated: string };
function dryRun(extra: string[] = []): { code: number; reports: Report[]; stderr: string } {
  const r = env.run(['auto-update', '--dry-run', '--format', 'json', ...extra]);
  return { code: r.code, reports: r.stdout.trim() ? (JSON.parse(r.stdout) as Report[]) : [], stderr: r.stderr };
}
const byName = (reports: Report[], name: string) => reports.find((x) => x.ContainerName === name);

/** An image with one more file than busybox, tagged `name`. */
function buildVariant(name: string, file: string): void {
  const ctx = path.join(env.dir, `ctx-${file}`);
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM localhost/busybox\nRUN touch /${file}\n`);
  env.ok(['build', '-q', '-t', name, ctx]);
}

test('the unit label comes from PODMAN_SYSTEMD_UNIT; local policy: false, then pending once the name names a newer image', () => {
  env.ok(['tag', 'localhost/busybox', 'localhost/app:1']);
  const r = env.run(['run', '-d', '--name', 'au-local', '--label', 'io.containers.autoupdate=local', 'localhost/app:1', ...WAITER], {
    env: cleanEnv({ PODMAN_SYSTEMD_UNIT: 'au-local.service' }),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(env.ok(['inspect', '--format', '{{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}}', 'au-local']).trim(), 'au-local.service');
  // Not labelled for auto-update: not listed.
  env.ok(['run', '-d', '--name', 'au-other', 'localhost/busybox', ...WAITER]);

  let d = dryRun();
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(d.reports.map((x) => x.ContainerName), ['au-local']);
  assert.deepEqual(byName(d.reports, 'au-local'), { ...byName(d.reports, 'au-local'), Unit: 'au-local.service', Image: 'localhost/app:1', Policy: 'local', Updated: 'false' });

  buildVariant('localhost/app:1', 'v2');
  d = dryRun();
  assert.equal(byName(d.reports, 'au-local')?.Updated, 'pending');
  // The table, as Podman prints it.
  const table = env.ok(['auto-update', '--dry-run']).split('\n');
  assert.match(table[0], /^UNIT\s+CONTAINER\s+IMAGE\s+POLICY\s+UPDATED$/);
  assert.match(table[1], /^au-local\.service\s+[0-9a-f]{12} \(au-local\)\s+localhost\/app:1\s+local\s+pending$/);
  // A dry run changes nothing: the container still runs its image.
  assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', 'au-local']).trim(), 'running');
  env.ok(['rm', '-f', '-t', '0', 'au-local', 'au-other']);
});

test('registry policy: the registry digest decides; short names and a missing unit label are errors for that container only', { skip: !haveRegistry && 'docker-registry is not installed' }, () => {
  const ref = `${registry?.host}/au/app:latest`;
  env.ok(['push', '--tls-verify=false', 'localhost/busybox', ref]);
  env.ok(['pull', '--tls-verify=false', ref]);
  env.ok(['run', '-d', '--name', 'au-reg', '--label', 'io.containers.autoupdate=registry', '--label', 'PODMAN_SYSTEMD_UNIT=au-reg.service', ref, ...WAITER]);
  let d = dryRun(['--tls-verify=false']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(byName(d.reports, 'au-reg')?.Updated, 'false');

  buildVariant('localhost/app:2', 'v3');
  env.ok(['push', '--tls-verify=false', 'localhost/app:2', ref]);
  d = dryRun(['--tls-verify=false']);
  assert.equal(byName(d.reports, 'au-reg')?.Updated, 'pending');

  env.ok(['run', '-d', '--name', 'au-nounit', '--label', 'io.containers.autoupdate=local', 'localhost/busybox', ...WAITER]);
  env.ok(['run', '-d', '--name', 'au-short', '--label', 'io.containers.autoupdate=registry', '--label', 'PODMAN_SYSTEMD_UNIT=au-short.service', 'busybox', ...WAITER]);
  d = dryRun(['--tls-verify=false']);
  assert.equal(d.code, 125);
  assert.equal(byName(d.reports, 'au-reg')?.Updated, 'pending', 'the others are still checked');
  assert.equal(byName(d.reports, 'au-nounit')?.Updated, 'failed');
  assert.equal(byName(d.reports, 'au-short')?.Updated, 'failed');
  assert.match(d.stderr, /auto-updating container "[0-9a-f]{64}": no PODMAN_SYSTEMD_UNIT label found/);
  assert.match(d.stderr, /raw-image name "busybox" is not fully-qualified/);
  env.ok(['rm', '-f', '-t', '0', 'au-reg', 'au-nounit', 'au-short']);
});
