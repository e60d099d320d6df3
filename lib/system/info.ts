// `info`: what the CLI prints and the libpod API serves, in Podman's shape.
import * as os from 'node:os';
import type { LocalEngine } from '../container/engine';
import { API_VERSION, VERSION } from '../version';

export const ociArch = () => (os.arch() === 'x64' ? 'amd64' : os.arch());

export function containerCounts(engine: LocalEngine) {
  const ctrs = engine.list();
  const running = ctrs.filter((c) => c.state.status === 'running').length;
  return { total: ctrs.length, running, stopped: ctrs.length - running, images: Object.keys(engine.store.read().images).length };
}

export function systemInfo(engine: LocalEngine, remote: boolean) {
  const n = containerCounts(engine);
  return {
    host: {
      arch: ociArch(),
      hostname: os.hostname(),
      kernel: os.release(),
      os: 'linux',
      cpus: os.cpus().length,
      memTotal: os.totalmem(),
      memFree: os.freemem(),
      ociRuntime: { name: engine.runtimeName() },
      uptime: `${Math.floor(os.uptime())}s`,
      remoteSocket: { exists: remote },
      serviceIsRemote: false,
    },
    store: {
      graphRoot: engine.paths.root,
      runRoot: engine.paths.runroot,
      graphDriverName: 'overlay',
      containerStore: { number: n.total, running: n.running, stopped: n.stopped, paused: 0 },
      imageStore: { number: n.images },
    },
    registries: {},
    plugins: { volume: ['local'], network: [], log: ['k8s-file', 'none', 'passthrough'] },
    version: { APIVersion: API_VERSION, Version: VERSION, GoVersion: `node${process.versions.node}`, OsArch: `linux/${ociArch()}`, Os: 'linux' },
  };
}
