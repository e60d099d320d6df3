// Which module defines which command, so that a command loads only its own
// module: start-up time is paid by every invocation, and the registry client,
// the API service or the unit generator are needed by few of them.
// test/cli-index.test.ts checks this index against the modules.
import type { CommandDef } from './command';

type Commands = typeof import('./commands/containers');
const containers = (): Commands => require('./commands/containers');
const images = (): typeof import('./commands/images') => require('./commands/images');
const system = (): typeof import('./commands/system') => require('./commands/system');
const registry = (): typeof import('./commands/registry') => require('./commands/registry');
const generate = (): typeof import('./commands/generate') => require('./commands/generate');
const observe = (): typeof import('./commands/observe') => require('./commands/observe');
const volume = (): typeof import('./commands/volume') => require('./commands/volume');
const restart = (): typeof import('./commands/restart') => require('./commands/restart');
const network = (): typeof import('./commands/network') => require('./commands/network');
const build = (): typeof import('./commands/build') => require('./commands/build');
const update = (): typeof import('./commands/update') => require('./commands/update');
const pause = (): typeof import('./commands/pause') => require('./commands/pause');
const init = (): typeof import('./commands/init') => require('./commands/init');
const prune = (): typeof import('./commands/prune') => require('./commands/prune');
const tree = (): typeof import('./commands/tree') => require('./commands/tree');
const secret = (): typeof import('./commands/secret') => require('./commands/secret');
const unshare = (): typeof import('./commands/unshare') => require('./commands/unshare');
const systemPrune = (): typeof import('./commands/system-prune') => require('./commands/system-prune');
const pod = (): typeof import('./commands/pod') => require('./commands/pod');
const healthcheck = (): typeof import('./commands/healthcheck') => require('./commands/healthcheck');
const autoUpdate = (): typeof import('./commands/auto-update') => require('./commands/auto-update');
const completion = (): typeof import('./commands/completion') => require('./commands/completion');
const kube = (): typeof import('./commands/kube') => require('./commands/kube');
const connection = (): typeof import('./commands/connection') => require('./commands/connection');
const manifest = (): typeof import('./commands/manifest') => require('./commands/manifest');
const mount = (): typeof import('./commands/mount') => require('./commands/mount');

export interface IndexEntry {
  names: string[]; // command names and aliases
  load: () => CommandDef[];
}

export const TOP_INDEX: IndexEntry[] = [
  {
    names: ['run', 'create', 'start', 'stop', 'kill', 'rm', 'ps', 'list', 'ls', 'logs', 'wait', 'inspect', 'exec', 'rename'],
    load: () => containers().CONTAINER_COMMANDS,
  },
  { names: ['import', 'load', 'images', 'rmi', 'tag', 'untag'], load: () => images().IMAGE_COMMANDS },
  { names: ['version', 'info'], load: () => system().SYSTEM_COMMANDS },
  { names: ['pull', 'push', 'login', 'logout', 'search', 'save', 'export'], load: () => registry().REGISTRY_COMMANDS },
  { names: ['cp', 'top', 'stats', 'attach', 'events'], load: () => observe().OBSERVE_COMMANDS },
  { names: ['port'], load: () => network().PORT_COMMANDS },
  { names: ['restart'], load: () => restart().RESTART_COMMANDS },
  { names: ['build', 'commit', 'diff', 'history'], load: () => build().BUILD_COMMANDS },
  { names: ['update'], load: () => update().UPDATE_COMMANDS },
  { names: ['pause', 'unpause'], load: () => pause().PAUSE_COMMANDS },
  { names: ['init'], load: () => [init().initCommand] },
  { names: ['mount', 'unmount', 'umount'], load: () => mount().MOUNT_COMMANDS },
  { names: ['tree'], load: () => tree().TREE_COMMANDS },
  { names: ['unshare'], load: () => unshare().UNSHARE_COMMANDS },
  { names: ['auto-update'], load: () => autoUpdate().AUTO_UPDATE_COMMANDS },
  { names: ['completion', '__man'], load: () => completion().COMPLETION_COMMANDS },
];

export const GROUP_INDEX: Record<string, { description: string; load: () => CommandDef[]; find?: (name: string) => CommandDef | undefined }> = {
  container: { description: 'Manage containers', load: () => [...containers().CONTAINER_GROUP, ...observe().OBSERVE_COMMANDS, ...network().PORT_COMMANDS, ...restart().RESTART_COMMANDS, build().commitCommand, build().diffCommand, ...update().UPDATE_COMMANDS, ...pause().PAUSE_COMMANDS, init().initCommand, prune().containerPruneCommand, ...mount().MOUNT_COMMANDS] },
  image: {
    description: 'Manage images',
    load: () => {
      const r = registry();
      return [...images().IMAGE_GROUP, r.pullCommand, r.pushCommand, r.saveCommand, build().buildCommand, build().historyCommand, systemPrune().imagePruneCommand, ...manifest().IMAGE_MOUNT_COMMANDS];
    },
  },
  system: {
    description: 'Manage tspod',
    load: () => [...system().SYSTEM_GROUP, observe().dfCommand, systemPrune().systemPruneCommand, systemPrune().systemResetCommand, connection().connectionCommand],
    // `system service` (socket-activated: its start-up time counts) does not load the observe module
    find: (name) =>
      name === 'df' ? observe().dfCommand : name === 'prune' ? systemPrune().systemPruneCommand : name === 'reset' ? systemPrune().systemResetCommand : name === 'connection' ? connection().connectionCommand : findCommand(system().SYSTEM_GROUP, name),
  },
  generate: { description: 'Generate structured data based on containers', load: () => [...generate().GENERATE_GROUP, kube().generateKubeCommand] },
  volume: { description: 'Manage volumes', load: () => volume().VOLUME_GROUP },
  network: { description: 'Manage networks', load: () => network().NETWORK_GROUP },
  secret: { description: 'Manage secrets', load: () => secret().SECRET_GROUP },
  pod: { description: 'Manage pods', load: () => pod().POD_GROUP },
  manifest: { description: 'Manipulate manifest lists and image indexes', load: () => manifest().MANIFEST_GROUP },
  healthcheck: { description: 'Manage health checks on containers', load: () => healthcheck().HEALTHCHECK_GROUP },
  kube: { description: 'Play containers, pods or volumes from a structured file', load: () => kube().KUBE_GROUP },
  play: { description: 'Play containers, pods or volumes from a structured file', load: () => kube().PLAY_GROUP },
};

export function findCommand(list: CommandDef[], name: string): CommandDef | undefined {
  return list.find((c) => c.name === name || c.aliases?.includes(name));
}

export function findTop(name: string): CommandDef | undefined {
  const entry = TOP_INDEX.find((e) => e.names.includes(name));
  return entry && findCommand(entry.load(), name);
}

/** Every top-level command (for help only: it loads all the modules). */
export const allTop = (): CommandDef[] => TOP_INDEX.flatMap((e) => e.load());
