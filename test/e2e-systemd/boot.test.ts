// End to end under a real systemd: a Debian bookworm system (debootstrap, cached
// by scripts/build-systemd-image.sh) boots with systemd as PID 1 in a container
// that `tspod run -d --systemd=always --privileged` starts, with this checkout's
// tspod (dist/, node) bound in, and everything the issue asks is checked there,
// inside, with systemctl, curl and socat:
//   - scripts/install-units.sh installs tspod.socket/.service and the generators;
//   - a connection to /run/tspod/tspod.sock activates tspod.service, which answers,
//     stops after its idle time, and is activated again by the next client;
//   - the seed's echo.container (through tspod-systemd-generator) + echo.socket
//     answers over tcp4, tcp6, udp4, udp6 and a unix socket, and stopping it
//     leaves no container;
//   - a postgres@.service-style template runs two instances, survives
//     `systemctl restart` (the same container), and stops them;
//   - auto-update restarts a quadlet unit on a newer local image and rolls back
//     one whose health check fails; tspod-restart.service starts `always` containers;
//   - a quadlet .kube file and tspod-kube@.service play a YAML with a service
//     container (Type=notify), answer, and `systemctl stop` takes the pod down;
//   - rootless under a lingering user's `systemctl --user` manager: the seed's
//     echo.container (the user generator, ~/.config/containers/systemd) +
//     echo.socket answer over tcp and unix, and the user tspod.socket answers
//     on $XDG_RUNTIME_DIR/tspod/tspod.sock and its service exits when idle, and a
//     `tspod generate systemd --new` unit of the user's runs and removes its container;
//   - `tspod stop` halts the system with SIGRTMIN+3, well before the SIGKILL timeout;
//   - systemd also boots without --privileged.
// The containers inside are run by a runtime nested in the booted one: tspod's
// systemd-mode spec (cgroup namespace) is what makes that work; a further test
// nests tspod under Podman's cgroup v1 layout (lib/oci/cgroup-namespace.ts).
// Runs as its own CI stage (scripts/test.sh), not in the main suite: about 35 s
// with the image cached, plus about 1 to 2 minutes of debootstrap the first time.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FIXTURES, REPO, TspodEnv, sleep } from '../helpers/tspod-env';

const env = new TspodEnv('e2e-systemd');
const NAME = `e2e-systemd-${process.pid}`;
const IMAGE = 'localhost/tspod-e2e-debian';
const innerStorage = path.join(env.dir, 'inner-storage');
// The rootless user's home (its store under ~/.local/share) on the host's
// filesystem too, for the same reason.
const userHome = path.join(env.dir, 'user-home');
const USER = 'tsuser';
let containerId = '';

/** A shell script run inside the booted system (`tspod exec`): its exit code, stdout (out) and stderr. */
function inside(script: string, timeout = 60_000): { code: number; out: string; err: string } {
  const r = env.run(['exec', NAME, '/bin/sh', '-c', script], { timeout });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

function insideOk(script: string, timeout?: number): string {
  const r = inside(script, timeout);
  assert.equal(r.code, 0, `inside: ${script}\n${r.out}${r.err}`);
  return r.out;
}

/** `systemctl is-active` of each unit; on a mismatch the message carries their status and journal. */
function assertActive(units: string[], want: string): void {
  const got = inside(`systemctl is-active ${units.join(' ')}`).out.trim().split('\n');
  if (got.every((g) => g === want)) return;
  const status = inside(`systemctl status --no-pager -n 30 ${units.join(' ')}`);
  assert.fail(`${units.join(' ')}: ${got.join(' ')}, not ${want}\n${status.out}${status.err}`);
}

async function untilInside(script: string, want: (out: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = inside(script, 20_000);
    last = (r.out + r.err).trim();
    if (want(last)) return last;
    if (Date.now() > deadline) throw new Error(`inside: ${script}: still "${last}" after ${timeoutMs} ms`);
    await sleep(250);
  }
}

before(async () => {
  const built = spawnSync('bash', [path.join(REPO, 'scripts', 'build-systemd-image.sh')], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  assert.equal(built.status, 0, 'scripts/build-systemd-image.sh failed');
  const tarball = built.stdout.trim().split('\n').pop() as string;
  env.ok(['import', tarball, IMAGE]);
  fs.mkdirSync(innerStorage, { recursive: true });
  fs.mkdirSync(userHome, { recursive: true });
  // The inner tspod keeps its images and layers on the host's filesystem: an
  // overlay upper directory cannot live on the container's own overlay root.
  containerId = env
    .ok([
      // Loopback only: the test's traffic stays inside, no host interfaces or firewall rules.
      'run', '-d', '--name', NAME, '--systemd=always', '--privileged', '--network=none',
      '-v', `${REPO}:${REPO}:ro`,
      // dist/'s wrappers exec this node by its absolute path (a NodeSource-style
      // build: it needs only libc and libstdc++, which the image has).
      '-v', `${process.execPath}:${process.execPath}:ro`,
      // the pause binary of infra and service containers (static; `apt-get install catatonit` on a real system)
      '-v', '/usr/bin/catatonit:/usr/bin/catatonit:ro',
      '-v', `${innerStorage}:/var/lib/tspod`,
      '-v', `${userHome}:/home/${USER}`,
      IMAGE, '/sbin/init',
    ])
    .trim();
  await untilInside('systemctl is-system-running', (s) => s === 'running' || s === 'degraded', 90_000);
  // Installed the way a user does it: the binaries on PATH, then the units.
  insideOk(
    `for b in tspod tspod-conmon tspod-runtime tspod-systemd-generator; do ln -sf ${REPO}/dist/$b /usr/local/bin/$b; done
     bash ${REPO}/scripts/install-units.sh
     tspod import ${FIXTURES}/busybox-rootfs.tar localhost/busybox --change 'CMD ["sh"]'
     tspod import ${FIXTURES}/echo-rootfs.tar localhost/echo --change 'ENTRYPOINT ["/usr/local/bin/echo-server"]'`,
    120_000,
  );
});

after(() => {
  env.run(['stop', '-t', '10', NAME], { timeout: 60_000 });
  env.cleanup();
  removeCgroups(containerId);
});

/** Cgroups systemd or the nested runtime left under the container's cgroup (deepest first). */
function removeCgroups(id: string): void {
  if (!id) return;
  for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
    const top = path.join('/sys/fs/cgroup', hierarchy, 'tspod', `tspod-${id}`);
    if (!fs.existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
      dirs.push(d);
    };
    try {
      walk(top);
      for (const d of dirs) fs.rmdirSync(d);
    } catch {
      /* busy or gone */
    }
  }
}

test('systemd boots as PID 1 in a --systemd=always container', () => {
  assert.equal(inside('cat /proc/1/comm').out.trim(), 'systemd');
  assert.match(inside("tr '\\0' '\\n' < /proc/1/environ").out, /^container=tspod$/m);
  assert.equal(env.ok(['inspect', '--format', '{{.Config.StopSignal}}', NAME]).trim(), '37');
  // The image's /etc/machine-id is empty: systemd took container_uuid.
  assert.equal(inside('cat /etc/machine-id').out.trim(), containerId.slice(0, 32));
  assert.equal(inside('systemd-detect-virt --container').out.trim(), 'container-other');
  // The nested runtime works: a container inside the container.
  assert.equal(insideOk('tspod run --rm --network=none localhost/busybox echo nested').trim(), 'nested');
});

test('cgroup_manager = "systemd": the container runs in a transient tspod-ID.scope that systemd removes with it', () => {
  const id = insideOk('tspod --cgroup-manager systemd run -d --network=none localhost/busybox sleep 600').trim();
  try {
    assert.match(insideOk(`cat /proc/$(tspod inspect --format '{{.State.Pid}}' ${id})/cgroup`), new RegExp(`/machine\\.slice/tspod-${id}\\.scope$`, 'm'));
    assert.equal(inside(`systemctl is-active tspod-${id}.scope`).out.trim(), 'active');
    // limits reach the scope's cgroup through systemd too
    const limited = insideOk('tspod --cgroup-manager systemd run --rm --network=none --memory 64m localhost/busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes');
    assert.equal(limited.trim(), String(64 << 20));
  } finally {
    inside(`tspod rm -f -t 0 ${id}`);
  }
  assert.notEqual(inside(`systemctl is-active tspod-${id}.scope`).out.trim(), 'active');
});

test('systemd boots without --privileged too', async () => {
  const name = `${NAME}-unprivileged`;
  env.ok(['run', '-d', '--name', name, '--network=none', '--systemd=always', IMAGE, '/sbin/init']);
  try {
    const deadline = Date.now() + 60_000;
    let state = '';
    while (Date.now() < deadline && state !== 'running' && state !== 'degraded') {
      state = env.run(['exec', name, 'systemctl', 'is-system-running']).stdout.trim();
      await sleep(250);
    }
    assert.ok(state === 'running' || state === 'degraded', state);
    const r = env.run(['stop', '-t', '30', name], { timeout: 60_000 });
    assert.doesNotMatch(r.stderr, /resorting to SIGKILL/);
  } finally {
    env.run(['rm', '-f', '-t', '0', name]);
  }
});

test("a nested runtime works under Podman's cgroup v1 layout too (name=systemd mounted twice)", (t) => {
  if (!fs.existsSync('/sys/fs/cgroup/systemd')) return t.skip('the host has no cgroup v1 name=systemd hierarchy');
  // The host's whole name=systemd tree over the runtime's mount of the container's
  // own, as Podman's --systemd=always does it: runc inside would resolve its new
  // cgroup against the lower mount and fail; tspod sees it and uses a cgroup namespace.
  const storage = path.join(env.dir, 'podman-layout-storage');
  fs.mkdirSync(storage);
  const script = `grep -c ' /sys/fs/cgroup/systemd ' /proc/self/mountinfo
    ${REPO}/dist/tspod import ${FIXTURES}/busybox-rootfs.tar localhost/busybox >/dev/null
    ${REPO}/dist/tspod run --rm --network=none localhost/busybox echo nested`;
  // runc makes that stack (crun, if the host has a working one, mounts cgroups its own way).
  const out = env.ok([
    '--runtime', 'runc', 'run', '--rm', '--privileged', '--network=none',
    '-v', '/sys/fs/cgroup/systemd:/sys/fs/cgroup/systemd',
    '-v', `${REPO}:${REPO}:ro`, '-v', `${process.execPath}:${process.execPath}:ro`, '-v', `${storage}:/var/lib/tspod`,
    IMAGE, 'sh', '-c', script,
  ]);
  assert.equal(out, '2\nnested\n');
});

test('tspod.socket activates tspod.service, which stops when idle and is activated again', async () => {
  insideOk('systemctl start tspod.socket');
  assertActive(['tspod.service'], 'inactive');
  assert.equal(insideOk('curl -sS --max-time 20 --unix-socket /run/tspod/tspod.sock http://d/_ping'), 'OK');
  const info = JSON.parse(insideOk('curl -sS --max-time 20 --unix-socket /run/tspod/tspod.sock http://d/v3.0.0/libpod/info')) as {
    store: { graphRoot: string };
  };
  assert.equal(info.store.graphRoot, '/var/lib/tspod');
  assertActive(['tspod.service'], 'active');
  const first = insideOk('systemctl show -P InvocationID tspod.service').trim();
  const idleFrom = Date.now();
  await untilInside('systemctl is-active tspod.service', (s) => s === 'inactive', 30_000);
  assert.ok(Date.now() - idleFrom >= 3000, 'stopped after its idle time (5 s), not at once');
  assert.equal(insideOk('curl -sS --max-time 20 --unix-socket /run/tspod/tspod.sock http://d/_ping'), 'OK');
  assertActive(['tspod.service'], 'active');
  assert.notEqual(insideOk('systemctl show -P InvocationID tspod.service').trim(), first, 'a new activation');
  assertActive(['tspod.socket'], 'active');
});

const ECHO_CONTAINER = `[Unit]
Description=Example echo service
Requires=echo.socket
After=echo.socket

[Container]
Image=localhost/echo
Network=none

[Install]
WantedBy=default.target
`;

const ECHO_SOCKET = `[Unit]
Description=Example echo socket

[Socket]
ListenStream=127.0.0.1:3000
ListenDatagram=127.0.0.1:3000
ListenStream=[::1]:3000
ListenDatagram=[::1]:3000
ListenStream=%h/echo_stream_sock

[Install]
WantedBy=sockets.target
`;

test("the seed's echo.container + echo.socket answer over tcp4, tcp6, udp and a unix socket", () => {
  insideOk(
    `mkdir -p /etc/containers/systemd
     cat > /etc/containers/systemd/echo.container <<'EOF'\n${ECHO_CONTAINER}EOF
     cat > /etc/systemd/system/echo.socket <<'EOF'\n${ECHO_SOCKET}EOF
     systemctl daemon-reload && systemctl start echo.socket`,
  );
  // The generator ran at daemon-reload and wrote the service.
  const unit = insideOk('systemctl cat echo.service');
  assert.match(unit, /^# \/run\/systemd\/generator\/echo\.service$/m);
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/tspod run --name=systemd-%N .*localhost\/echo$/m);
  for (const addr of ['tcp4:127.0.0.1:3000', 'tcp6:[::1]:3000', 'udp4:127.0.0.1:3000', 'udp6:[::1]:3000', 'unix:/root/echo_stream_sock']) {
    // Datagrams have no end: socat waits all of -t after the reply, so a short one
    // (the service is up: the tcp connections activated it).
    const wait = addr.startsWith('udp') ? 3 : 30;
    const r = inside(`echo "hello ${addr}" | socat -t ${wait} - ${addr}`);
    assert.equal(r.out, `hello ${addr}\n`, addr);
  }
  assertActive(['echo.service'], 'active');
  assert.equal(insideOk("tspod ps --format '{{.Names}}'").trim(), 'systemd-echo');
  insideOk('systemctl stop echo.service echo.socket');
  assertActive(['echo.service'], 'inactive');
  assert.equal(insideOk('tspod ps -a -q').trim(), '', 'no container left behind');
  assert.equal(inside('test -e /run/echo.cid').code, 1, 'the cidfile went with the container');
  // Activated again: the next client starts a new container.
  insideOk('systemctl start echo.socket');
  assert.equal(inside('echo again | socat -t 30 - tcp4:127.0.0.1:3000').out, 'again\n');
  insideOk('systemctl stop echo.service echo.socket');
  assert.equal(insideOk('tspod ps -a -q').trim(), '', 'no container left behind');
});

const TEMPLATE = `[Unit]
Description=echo container on port %i
After=network.target

[Service]
Type=simple
Restart=always
ExecStartPre=-/usr/local/bin/tspod create --net host --name %n localhost/echo -p %i
ExecStart=/usr/local/bin/tspod start -a --sig-proxy %n

[Install]
WantedBy=multi-user.target
`;

test('a postgres@.service-style template runs two instances and survives systemctl restart', async () => {
  insideOk(`cat > /etc/systemd/system/echo@.service <<'EOF'\n${TEMPLATE}EOF
            systemctl daemon-reload && systemctl start echo@4001.service echo@4002.service`);
  const roundTrip = (port: number, text: string) => inside(`echo "${text}" | socat -t 5 - tcp4:127.0.0.1:${port}`).out;
  for (const port of [4001, 4002]) await untilInside(`echo up | socat -t 5 - tcp4:127.0.0.1:${port}`, (o) => o === 'up', 20_000);
  for (const port of [4001, 4002]) assert.equal(roundTrip(port, `to ${port}`), `to ${port}\n`);
  const ids = () => insideOk("tspod ps --format '{{.Names}} {{.ID}}'").trim().split('\n').sort();
  const before = ids();
  assert.deepEqual(before.map((l) => l.split(' ')[0]), ['echo@4001.service', 'echo@4002.service']);

  insideOk('systemctl restart echo@4001.service');
  await untilInside('echo up | socat -t 5 - tcp4:127.0.0.1:4001', (o) => o === 'up', 20_000);
  assert.equal(roundTrip(4001, 'after restart'), 'after restart\n');
  assert.deepEqual(ids(), before, 'the restart reused the containers');
  assertActive(['echo@4001.service', 'echo@4002.service'], 'active');

  insideOk('systemctl stop echo@4001.service echo@4002.service');
  assertActive(['echo@4001.service', 'echo@4002.service'], 'inactive');
  assert.equal(insideOk('tspod ps -q').trim(), '', 'no container running');
  // Nothing of them is left running: no monitor, no runtime state.
  assert.equal(inside("pgrep -f '[t]spod-conmon'").out.trim(), '');
  assert.equal(insideOk('runc --root /run/tspod/runtime list -q').trim(), '');
});

const AUTO_UPDATE_CONTAINER = `[Container]
Image=localhost/au:latest
Network=none
Exec=sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
AutoUpdate=local
HealthCmd=test -e /ok
HealthInterval=disable
HealthRetries=1
`;

test('auto-update restarts a quadlet unit on the newer local image, and rolls back one that fails its health check', async () => {
  /** Builds localhost/au:latest from busybox with these files in / (inside, with the nested runtime). */
  const build = (files: string) =>
    insideOk(`mkdir -p /tmp/au-${files.replace(/ /g, '-')} && cd /tmp/au-${files.replace(/ /g, '-')} && printf 'FROM localhost/busybox\nRUN touch ${files}\n' > Containerfile && tspod build -q -t localhost/au:latest .`, 120_000).trim();
  const runningImage = () => insideOk("tspod inspect --format '{{.Image}}' systemd-au").trim();
  const v1 = build('/ok /v1');
  insideOk(`mkdir -p /etc/containers/systemd
            cat > /etc/containers/systemd/au.container <<'EOF'\n${AUTO_UPDATE_CONTAINER}EOF
            systemctl daemon-reload && systemctl start au.service`);
  assertActive(['au.service'], 'active');
  assert.equal(runningImage(), v1);
  assert.match(insideOk('tspod auto-update'), /^au\.service\s+[0-9a-f]{12} \(systemd-au\)\s+localhost\/au:latest\s+local\s+false$/m);

  const v2 = build('/ok /v2');
  const updated = insideOk('tspod auto-update', 120_000);
  assert.match(updated, /^au\.service\s+.*\s+local\s+true$/m);
  assertActive(['au.service'], 'active');
  assert.equal(runningImage(), v2, 'the unit runs the new image');

  build('/v3'); // no /ok: its health check fails
  const failed = inside('tspod auto-update', 120_000);
  assert.equal(failed.code, 125, failed.out + failed.err);
  assert.match(failed.out, /^au\.service\s+.*\s+local\s+rolled back$/m);
  assert.match(failed.err, /failed its health check after the update: rolled back to the previous image/);
  assertActive(['au.service'], 'active');
  assert.equal(runningImage(), v2, 'back on the image that worked');
  assert.equal(insideOk("tspod image inspect --format '{{.Id}}' localhost/au:latest").trim(), v2, 'the name names it again');
  insideOk('systemctl stop au.service && rm /etc/containers/systemd/au.container && systemctl daemon-reload');
  // --rm containers go with their monitor's cleanup, a moment after they exit.
  await untilInside("tspod ps -a --filter name=systemd-au --format '{{.Names}} {{.Status}}'", (o) => o === '', 15_000);
});

/** A Pod of the echo server listening on `port` (hostPort as given, or the host's network). */
const echoPod = (name: string, port: number, net: { hostPort?: number; hostNetwork?: boolean }) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${net.hostNetwork ? '  hostNetwork: true\n' : ''}  containers:
  - name: srv
    image: localhost/echo
    args: ["-p", "${port}"]
    ports:
    - containerPort: ${port}
${net.hostPort ? `      hostPort: ${net.hostPort}\n` : ''}`;

const KUBE_QUADLET = `[Unit]
Description=echo pod from a .kube file

[Kube]
Yaml=kweb.yaml
PublishPort=127.0.0.1:15001:5000
`;

/** Runs the script that starts `unit`; on a failure the message carries the unit's journal. */
function startsUnit(script: string, unit: string): void {
  const r = inside(script, 120_000);
  if (r.code === 0) return;
  const journal = inside(`journalctl --no-pager -n 40 -u ${unit}`);
  assert.fail(`${script}\n${r.out}${r.err}\n${journal.out}${journal.err}`);
}

/** The service container's name: the first 12 hex digits of the YAML's sha256, as Podman names it. */
const serviceName = (yamlPath: string) => `$(sha256sum ${yamlPath} | cut -c1-12)-service`;

test('a .kube quadlet file: the generated unit plays the YAML (Type=notify, the service container\'s monitor as MainPID), stop removes the pod', async () => {
  startsUnit(`mkdir -p /etc/containers/systemd
            cat > /etc/containers/systemd/kweb.yaml <<'EOF'\n${echoPod('kweb', 5000, { hostPort: 15000 })}EOF
            cat > /etc/containers/systemd/kweb.kube <<'EOF'\n${KUBE_QUADLET}EOF
            systemctl daemon-reload && systemctl start kweb.service`, 'kweb.service');
  const unit = insideOk('systemctl cat kweb.service');
  assert.match(unit, /^ExecStart=\/usr\/local\/bin\/tspod kube play --replace --service-container=true --publish 127\.0\.0\.1:15001:5000 \/etc\/containers\/systemd\/kweb\.yaml$/m);
  assert.match(unit, /^ExecStop=\/usr\/local\/bin\/tspod kube down \/etc\/containers\/systemd\/kweb\.yaml$/m);
  assert.match(unit, /^ExecStopPost=\/usr\/local\/bin\/tspod kube down \/etc\/containers\/systemd\/kweb\.yaml$/m);
  assertActive(['kweb.service'], 'active');
  // systemd's main process is the service container's monitor, which `kube play` named with READY=1
  const conmon = insideOk(`tspod inspect --format '{{.State.ConmonPid}}' ${serviceName('/etc/containers/systemd/kweb.yaml')}`).trim();
  assert.equal(insideOk('systemctl show -P MainPID kweb.service').trim(), conmon);
  assert.match(insideOk("tspod ps --format '{{.Names}} {{.Status}}'"), /^kweb-srv Up /m);
  assert.equal(insideOk(`tspod inspect --format '{{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}}' kweb-srv`).trim(), 'kweb.service');
  // PublishPort= took the place of the YAML's hostPort for container port 5000
  assert.equal(await untilInside('echo kube | socat -t 5 - tcp4:127.0.0.1:15001', (o) => o === 'kube', 20_000), 'kube');
  assert.notEqual(inside('echo no | socat -t 2 - tcp4:127.0.0.1:15000').out, 'no\n');
  insideOk('systemctl stop kweb.service');
  assertActive(['kweb.service'], 'inactive');
  assert.equal(inside('tspod pod exists kweb').code, 1, 'kube down removed the pod');
  assert.equal(inside(`tspod container exists ${serviceName('/etc/containers/systemd/kweb.yaml')}`).code, 1, 'and the service container');
  insideOk('rm /etc/containers/systemd/kweb.kube && systemctl daemon-reload');
});

test('tspod-kube@.service plays the escaped YAML path with a service container, stops with its pod, and stop takes it down', async () => {
  const yaml = '/root/k tpl.yaml'; // a space: the instance name is systemd-escape'd, %I gives it back
  const unit = `tspod-kube@$(systemd-escape '${yaml}').service`;
  startsUnit(`cat > '${yaml}' <<'EOF'\n${echoPod('ktpl', 5002, { hostNetwork: true })}EOF
            systemctl start "${unit}"`, `"${unit}"`);
  assertActive([`"${unit}"`], 'active');
  const service = serviceName(`'${yaml}'`);
  assert.equal(insideOk(`tspod container inspect --format '{{.State.Running}}' ${service}`).trim(), 'true');
  assert.equal(insideOk(`systemctl show -P MainPID "${unit}"`).trim(), insideOk(`tspod inspect --format '{{.State.ConmonPid}}' ${service}`).trim());
  const rm = inside(`tspod container rm ${service}`);
  assert.equal(rm.code, 125);
  assert.match(rm.err, /^Error: container .* is the service container of pod\(s\) .* and cannot be removed without removing the pod\(s\)/);
  assert.equal(await untilInside('echo tpl | socat -t 5 - tcp4:127.0.0.1:5002', (o) => o === 'tpl', 20_000), 'tpl');
  // The pods' end stops the service container and its monitor, systemd's main
  // process: the unit stops (systemd did not fork that process, so it cannot
  // know its exit status: inactive, where Podman's unit ends failed) and its
  // ExecStop takes the pod down.
  insideOk('tspod pod kill ktpl');
  await untilInside(`systemctl is-active "${unit}"`, (o) => o === 'inactive', 20_000);
  assert.equal(inside('tspod pod exists ktpl').code, 1, 'kube down removed the killed pod');
  startsUnit(`systemctl start "${unit}"`, `"${unit}"`);
  assertActive([`"${unit}"`], 'active');
  assert.equal(await untilInside('echo again | socat -t 5 - tcp4:127.0.0.1:5002', (o) => o === 'again', 20_000), 'again');
  insideOk(`systemctl stop "${unit}"`);
  assertActive([`"${unit}"`], 'inactive');
  assert.equal(inside(`tspod container exists ${service}`).code, 1, 'the service container is gone');
  assert.equal(inside('tspod pod exists ktpl').code, 1, 'the pod is gone');
});

/** A script run inside as the rootless user, with its manager's runtime directory. */
function asUser(script: string, timeout = 60_000): { code: number; out: string; err: string } {
  return inside(`cd /home/${USER} && runuser -u ${USER} -- env HOME=/home/${USER} USER=${USER} LOGNAME=${USER} XDG_RUNTIME_DIR=/run/user/$(id -u ${USER}) sh -c '${script.replace(/'/g, "'\\''")}'`, timeout);
}

function asUserOk(script: string, timeout?: number): string {
  const r = asUser(script, timeout);
  assert.equal(r.code, 0, `as ${USER}: ${script}\n${r.out}${r.err}`);
  return r.out;
}

test("rootless under systemctl --user: the seed's echo.container + echo.socket, tspod.socket with idle exit, a generate systemd --new unit", async () => {
  // A user with subordinate ids, lingering so that user@UID.service runs without a login.
  insideOk(
    `useradd -M -d /home/${USER} -s /bin/sh ${USER} && chown ${USER}: /home/${USER}
     echo ${USER}:200000:65536 >> /etc/subuid && echo ${USER}:200000:65536 >> /etc/subgid
     loginctl enable-linger ${USER}
     cp ${FIXTURES}/echo-rootfs.tar ${FIXTURES}/busybox-rootfs.tar /tmp/ && chmod 0644 /tmp/echo-rootfs.tar /tmp/busybox-rootfs.tar`,
  );
  const uid = insideOk(`id -u ${USER}`).trim();
  const manager = await untilInside(`systemctl is-active user@${uid}.service`, (s) => s === 'active' || s === 'failed', 30_000);
  if (manager !== 'active') {
    const why = inside(`systemctl status --no-pager -n 50 user@${uid}.service; journalctl --no-pager -n 60 -u user@${uid}.service`);
    assert.fail(`user@${uid}.service ${manager}\n${why.out}${why.err}`);
  }
  await untilInside(`test -S /run/user/${uid}/systemd/private && echo up`, (s) => s === 'up', 30_000);
  asUserOk(
    `tspod import /tmp/echo-rootfs.tar localhost/echo --change 'ENTRYPOINT ["/usr/local/bin/echo-server"]'
     mkdir -p ~/.config/containers/systemd ~/.config/systemd/user
     cat > ~/.config/containers/systemd/echo.container <<'EOF'\n${ECHO_CONTAINER}EOF
     cat > ~/.config/systemd/user/echo.socket <<'EOF'\n${ECHO_SOCKET.replace(/3000/g, '3100')}EOF
     bash ${REPO}/scripts/install-units.sh --user --no-reload
     systemctl --user daemon-reload && systemctl --user start echo.socket`,
    120_000,
  );
  try {
    // The user generator ran at the user manager's daemon-reload.
    const unit = asUserOk('systemctl --user cat echo.service');
    assert.match(unit, new RegExp(`^# /run/user/${uid}/systemd/generator/echo\\.service$`, 'm'));
    for (const addr of ['tcp4:127.0.0.1:3100', 'tcp6:[::1]:3100', `unix:/home/${USER}/echo_stream_sock`]) {
      const r = asUser(`echo "hello ${addr}" | socat -t 30 - ${addr}`, 90_000);
      if (r.out !== `hello ${addr}\n`) {
        const why = asUser('systemctl --user status --no-pager -n 40 echo.service; journalctl --user --no-pager -n 40 -u echo.service');
        assert.fail(`${addr}: ${JSON.stringify(r.out)} ${r.err}\n${why.out}${why.err}`);
      }
    }
    assert.equal(asUserOk("tspod ps --format '{{.Names}}'").trim(), 'systemd-echo');
    asUserOk('systemctl --user stop echo.service echo.socket');
    assert.equal(asUserOk('tspod ps -a -q').trim(), '', 'no container left behind');

    // tspod.socket as a user unit: %t is $XDG_RUNTIME_DIR.
    asUserOk('systemctl --user start tspod.socket');
    const sock = `/run/user/${uid}/tspod/tspod.sock`;
    assert.equal(asUserOk(`curl -sS --max-time 20 --unix-socket ${sock} http://d/_ping`), 'OK');
    const info = JSON.parse(asUserOk(`curl -sS --max-time 20 --unix-socket ${sock} http://d/v3.0.0/libpod/info`)) as {
      host: { security: { rootless: boolean } };
    };
    assert.equal(info.host.security.rootless, true);
    assert.equal(asUser('systemctl --user is-active tspod.service').out.trim(), 'active');
    const idleFrom = Date.now();
    const deadline = idleFrom + 30_000;
    while (asUser('systemctl --user is-active tspod.service').out.trim() !== 'inactive') {
      assert.ok(Date.now() < deadline, 'the user tspod.service exits when idle');
      await sleep(250);
    }
    assert.ok(Date.now() - idleFrom >= 3000, 'stopped after its idle time, not at once');
    assert.equal(asUser('systemctl --user is-active tspod.socket').out.trim(), 'active');

    // `tspod generate systemd --new` for the user's container runs under its manager.
    asUserOk(
      `tspod import /tmp/busybox-rootfs.tar localhost/busybox >/dev/null
       tspod create --name gsn --network none localhost/busybox sleep 1000 >/dev/null
       # busybox sleep as PID 1 ignores SIGTERM: a short stop timeout
       tspod generate systemd --new --name --stop-timeout 1 gsn > ~/.config/systemd/user/container-gsn.service
       tspod rm gsn >/dev/null
       systemctl --user daemon-reload && systemctl --user start container-gsn.service`,
      60_000,
    );
    assert.equal(asUser('systemctl --user is-active container-gsn.service').out.trim(), 'active');
    assert.equal(asUserOk("tspod ps --format '{{.Names}} {{.State}}'").trim(), 'gsn running');
    asUserOk('systemctl --user stop container-gsn.service');
    assert.equal(asUserOk('tspod ps -a -q').trim(), '', 'stop removed the --new container');
  } finally {
    asUser('systemctl --user stop echo.service echo.socket tspod.socket tspod.service container-gsn.service; tspod rm -a -f -t 0');
  }
});

test('tspod-restart.service starts the containers whose restart policy is always, and stops them', () => {
  insideOk('tspod create --name always1 --restart always localhost/busybox sleep 1000 && tspod create --name never1 localhost/busybox sleep 1000');
  insideOk('systemctl start tspod-restart.service');
  assert.equal(insideOk("tspod ps --format '{{.Names}}'").trim(), 'always1');
  insideOk('systemctl stop tspod-restart.service');
  assert.equal(insideOk('tspod ps -q').trim(), '', 'stopped with the unit');
  insideOk('tspod rm -f -t 0 always1 never1');
});

test('tspod stop halts the booted system with SIGRTMIN+3, before the SIGKILL timeout', () => {
  const t0 = Date.now();
  const r = env.run(['stop', '-t', '30', NAME], { timeout: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /resorting to SIGKILL/);
  assert.ok(Date.now() - t0 < 25_000, `stopped in ${Date.now() - t0} ms`);
  assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', NAME]).trim(), 'exited');
});
