// The route tables of the two trees. Handlers live in handlers/; this file
// only says which path goes where.
import type { RouteContext, Handler } from './router';
import { RouteTable } from './router';
import { ApiError } from './http';
import { EngineError } from '../lib/errors';
import * as system from './handlers/system';
import * as ctr from './handlers/containers';
import * as exec from './handlers/exec';
import * as lp from './handlers/libpod';
import * as vol from './handlers/volumes';
import * as nets from './handlers/networks';
import * as upd from './handlers/update';
import * as pz from './handlers/pause';
import * as cmount from './handlers/container-mount';
import * as tree from './handlers/tree';
import * as sec from './handlers/secrets';
import * as mf from './handlers/manifests';
import * as pods from './handlers/pods';

/** A handler module loaded at its first request: a socket-activated start pays only for what it serves. */
function lazy<M extends object>(load: () => M): M {
  let mod: M | undefined;
  return new Proxy({} as M, { get: (_t, key) => (...args: unknown[]) => ((mod ??= load())[key as keyof M] as (...a: unknown[]) => unknown)(...args) });
}
// pull: the registry client (http, tls); observe: archives, top, stats
const pull = lazy((): typeof import('./handlers/pull') => require('./handlers/pull'));
// images: archives (tar-stream) for save/load/export
const img = lazy((): typeof import('./handlers/images') => require('./handlers/images'));
const obs = lazy((): typeof import('./handlers/observe') => require('./handlers/observe'));
const bld = lazy((): typeof import('./handlers/build') => require('./handlers/build'));
const health = lazy((): typeof import('./handlers/healthcheck') => require('./handlers/healthcheck'));
const kube = lazy((): typeof import('./handlers/kube') => require('./handlers/kube'));
const auth = lazy((): typeof import('./handlers/auth') => require('./handlers/auth'));
const gen = lazy((): typeof import('./handlers/generate') => require('./handlers/generate'));
const scp = lazy((): typeof import('./handlers/image-scp') => require('./handlers/image-scp'));

/** Docker's wording for missing objects (docker-py and the CLI match on it). */
function dockerWording(h: Handler, what: 'container' | 'image', param: string): Handler {
  return async (ctx: RouteContext) => {
    try {
      await h(ctx);
    } catch (err) {
      if (err instanceof EngineError && err.kind === 'no-such-container' && what === 'container')
        throw new ApiError(404, `No such container: ${ctx.params[param]}`, 'no such container');
      if (err instanceof EngineError && err.kind === 'no-such-image') {
        const ref = what === 'image' ? ctx.params[param] : err.message.replace(/: image not known$/, '');
        throw new ApiError(404, `No such image: ${ref}`, 'no such image');
      }
      throw err;
    }
  };
}

const c = (h: Handler) => dockerWording(h, 'container', 'id');
const i = (h: Handler) => dockerWording(h, 'image', 'name');

export function compatRoutes(): RouteTable {
  return new RouteTable()
    .add('GET', '/_ping', system.ping)
    .add('GET', '/version', system.version)
    .add('GET', '/info', system.dockerInfo)
    .add('GET', '/events', (ctx) => system.events(ctx, true))
    .add('POST', '/auth', auth.auth)
    .add('GET', '/containers/json', ctr.list)
    .add('POST', '/containers/create', c(ctr.create))
    .add('POST', '/containers/prune', ctr.prune)
    .add('GET', '/containers/{id}/json', c(ctr.inspect))
    .add('POST', '/containers/{id}/start', c(ctr.start))
    .add('POST', '/containers/{id}/stop', c(ctr.stop))
    .add('POST', '/containers/{id}/restart', c(ctr.restart))
    .add('POST', '/containers/{id}/kill', c(ctr.kill))
    .add('POST', '/containers/{id}/pause', c(pz.pause))
    .add('POST', '/containers/{id}/unpause', c(pz.unpause))
    .add('POST', '/containers/{id}/wait', c(ctr.wait))
    .add('POST', '/containers/{id}/rename', c(ctr.rename))
    .add('POST', '/containers/{id}/update', c(upd.updateDocker))
    .add('POST', '/containers/{id}/resize', c(ctr.resize))
    .add('POST', '/containers/{id}/attach', c(ctr.attach))
    .add('GET', '/containers/{id}/logs', c(ctr.logs))
    .add('DELETE', '/containers/{id}', c(ctr.remove))
    .add('GET', '/containers/{id}/archive', c(obs.archiveGet))
    .add('PUT', '/containers/{id}/archive', c(obs.archivePut))
    .add('GET', '/containers/{id}/top', c(obs.topDocker))
    .add('GET', '/containers/{id}/changes', c(obs.changes))
    .add('GET', '/containers/{id}/export', c(obs.exportGet))
    .add('GET', '/containers/{id}/stats', c(obs.statsDocker))
    .add('GET', '/system/df', obs.dfDocker)
    .add('POST', '/containers/{id}/exec', c(exec.create))
    .add('POST', '/exec/{id}/start', exec.start)
    .add('POST', '/exec/{id}/resize', exec.resize)
    .add('GET', '/exec/{id}/json', exec.inspect)
    .add('GET', '/images/json', img.list)
    .add('POST', '/images/create', pull.dockerPull)
    .add('POST', '/build', bld.dockerBuild)
    .add('POST', '/commit', bld.dockerCommit)
    .add('POST', '/images/prune', img.prune)
    .add('GET', '/images/get', img.get)
    .add('POST', '/images/load', (ctx) => img.load(ctx, true))
    .add('GET', '/images/{name+}/get', img.get)
    .add('GET', '/images/{name+}/history', i((ctx) => img.history(ctx, true)))
    .add('GET', '/images/{name+}/json', i(img.inspect))
    .add('POST', '/images/{name+}/tag', i(img.tag))
    .add('POST', '/images/{name+}/push', pull.dockerPush)
    .add('DELETE', '/images/{name+}', i(img.remove))
    .add('GET', '/volumes', vol.list)
    .add('POST', '/volumes/create', vol.create)
    .add('POST', '/volumes/prune', vol.prune)
    .add('GET', '/volumes/{name}', vol.inspect)
    .add('DELETE', '/volumes/{name}', vol.remove)
    .add('GET', '/networks', nets.listDocker)
    .add('POST', '/networks/create', nets.createDocker)
    .add('POST', '/networks/prune', nets.pruneDocker)
    .add('GET', '/networks/{id}', nets.inspectDocker)
    .add('DELETE', '/networks/{id}', nets.removeDocker)
    .add('POST', '/networks/{id}/connect', nets.connectDocker)
    .add('POST', '/networks/{id}/disconnect', nets.disconnectDocker)
    .add('GET', '/secrets', sec.list)
    .add('POST', '/secrets/create', sec.create)
    .add('GET', '/secrets/{name}', sec.inspect)
    .add('DELETE', '/secrets/{name}', sec.remove)
    .add('POST', '/secrets/{name}/update', sec.update);
}

export function libpodRoutes(): RouteTable {
  return new RouteTable()
    .add('GET', '/_ping', system.ping)
    .add('GET', '/version', system.libpodVersion)
    .add('GET', '/info', system.libpodInfo)
    .add('GET', '/events', (ctx) => system.events(ctx, false))
    .add('GET', '/containers/json', lp.listContainersLibpod)
    .add('POST', '/containers/create', lp.createLibpod)
    .add('POST', '/containers/prune', ctr.prunePodman)
    .add('GET', '/containers/{id}/json', lp.inspectLibpod)
    .add('GET', '/containers/{id}/exists', lp.existsLibpod)
    .add('POST', '/containers/{id}/start', ctr.start)
    .add('POST', '/containers/{id}/init', lp.initLibpod)
    .add('POST', '/containers/{id}/stop', ctr.stop)
    .add('POST', '/containers/{id}/restart', ctr.restart)
    .add('POST', '/containers/{id}/kill', lp.killLibpod)
    .add('POST', '/containers/{id}/pause', pz.pause)
    .add('POST', '/containers/{id}/unpause', pz.unpause)
    .add('POST', '/containers/{id}/mount', cmount.mount)
    .add('POST', '/containers/{id}/unmount', cmount.unmount)
    .add('GET', '/containers/showmounted', cmount.showMounted)
    .add('GET', '/containers/{id}/healthcheck', health.runLibpod)
    .add('POST', '/containers/{id}/wait', lp.waitLibpod)
    .add('POST', '/containers/{id}/rename', ctr.rename)
    .add('POST', '/containers/{id}/update', upd.updateLibpod)
    .add('POST', '/containers/{id}/attach', ctr.attach)
    .add('POST', '/containers/{id}/resize', ctr.resize)
    .add('GET', '/containers/{id}/logs', lp.logsLibpod)
    .add('DELETE', '/containers/{id}', lp.removeLibpod)
    .add('GET', '/containers/stats', obs.statsLibpod)
    .add('GET', '/containers/{id}/stats', obs.statsDocker)
    .add('GET', '/containers/{id}/archive', obs.archiveGet)
    .add('PUT', '/containers/{id}/archive', obs.archivePut)
    .add('GET', '/containers/{id}/top', obs.topLibpod)
    .add('GET', '/containers/{id}/changes', obs.changes)
    .add('GET', '/containers/{id}/export', obs.exportGet)
    .add('GET', '/containers/{id}/tree', tree.treeLibpod)
    .add('GET', '/generate/{name}/systemd', gen.systemdLibpod)
    .add('GET', '/system/df', obs.dfLibpod)
    .add('POST', '/system/prune', system.libpodPrune)
    .add('POST', '/containers/{id}/exec', lp.execCreateLibpod)
    .add('POST', '/exec/{id}/start', exec.start)
    .add('POST', '/exec/{id}/resize', exec.resize)
    .add('GET', '/exec/{id}/json', exec.inspect)
    .add('GET', '/images/json', img.libpodList)
    .add('POST', '/images/pull', pull.libpodPull)
    .add('POST', '/build', bld.libpodBuild)
    .add('POST', '/commit', bld.libpodCommit)
    .add('POST', '/images/prune', img.libpodPrune)
    .add('POST', '/images/load', (ctx) => img.load(ctx, false))
    .add('POST', '/images/import', img.libpodImport)
    .add('GET', '/images/export', img.libpodExport)
    .add('POST', '/images/scp/{name+}', scp.scp)
    .add('POST', '/images/{name+}/push', pull.libpodPush)
    .add('GET', '/images/{name+}/get', img.get)
    .add('GET', '/images/{name+}/history', (ctx) => img.history(ctx, false))
    .add('GET', '/images/{name+}/tree', img.tree)
    .add('GET', '/images/{name+}/exists', img.exists)
    .add('GET', '/images/{name+}/json', img.libpodInspect)
    .add('POST', '/images/{name+}/tag', img.tag)
    .add('POST', '/images/{name+}/untag', img.untag)
    .add('DELETE', '/images/{name+}', img.libpodRemove)
    .add('POST', '/pods/create', pods.create)
    .add('GET', '/pods/json', pods.list)
    .add('POST', '/pods/prune', pods.prune)
    .add('GET', '/pods/stats', pods.stats)
    .add('GET', '/pods/{name}/json', pods.inspect)
    .add('GET', '/pods/{name}/exists', pods.exists)
    .add('GET', '/pods/{name}/top', pods.top)
    .add('POST', '/pods/{name}/start', pods.start)
    .add('POST', '/pods/{name}/stop', pods.stop)
    .add('POST', '/pods/{name}/restart', pods.restart)
    .add('POST', '/pods/{name}/kill', pods.kill)
    .add('POST', '/pods/{name}/pause', pods.pause)
    .add('POST', '/pods/{name}/unpause', pods.unpause)
    .add('DELETE', '/pods/{name}', pods.remove)
    .add('GET', '/generate/kube', kube.generate)
    .add('POST', '/kube/play', kube.play)
    .add('DELETE', '/kube/play', kube.down)
    .add('POST', '/play/kube', kube.play)
    .add('DELETE', '/play/kube', kube.down)
    .add('GET', '/volumes/json', vol.libpodList)
    .add('POST', '/volumes/create', vol.libpodCreate)
    .add('POST', '/volumes/prune', vol.libpodPrune)
    .add('GET', '/volumes/{name}/json', vol.libpodInspect)
    .add('GET', '/volumes/{name}/exists', vol.libpodExists)
    .add('GET', '/volumes/{name}/export', vol.libpodExport)
    .add('POST', '/volumes/{name}/import', vol.libpodImport)
    .add('DELETE', '/volumes/{name}', vol.libpodRemove)
    .add('GET', '/networks/json', nets.listLibpod)
    .add('POST', '/networks/create', nets.createLibpod)
    .add('POST', '/networks/prune', nets.pruneLibpod)
    .add('GET', '/networks/{name}/json', nets.inspectLibpod)
    .add('GET', '/networks/{name}/exists', nets.existsLibpod)
    .add('DELETE', '/networks/{name}', nets.removeLibpod)
    .add('POST', '/networks/{name}/connect', nets.connectLibpod)
    .add('POST', '/networks/{name}/disconnect', nets.disconnectLibpod)
    .add('GET', '/secrets/json', sec.libpodList)
    .add('POST', '/secrets/create', sec.libpodCreate)
    .add('GET', '/secrets/{name}/json', sec.libpodInspect)
    .add('GET', '/secrets/{name}/exists', sec.libpodExists)
    .add('DELETE', '/secrets/{name}', sec.libpodRemove)
    .add('POST', '/manifests/create', mf.createV3)
    .add('GET', '/manifests/{name+}/json', mf.inspect)
    .add('GET', '/manifests/{name+}/exists', mf.exists)
    .add('POST', '/manifests/{name+}/add', mf.addV3)
    .add('POST', '/manifests/{name+}/push', mf.pushV3)
    .add('POST', '/manifests/{name+}/registry/{destination}', mf.push)
    .add('PUT', '/manifests/{name+}', mf.modify)
    .add('DELETE', '/manifests/{name+}', mf.remove)
    .add('POST', '/manifests/{name+}', mf.create);
}
