// Create bodies into the engine's create request: Docker's ContainerConfig +
// HostConfig, and libpod's SpecGenerator. Unknown fields are ignored, zero
// values mean "unset", wrong types are a 400.
import * as path from 'node:path';
import type { CreateRequest } from '../../lib/container/engine';
import type { ContainerConfig, MountSpec } from '../../lib/storage/records';
import { signalNumber } from '../../lib/container/signals';
import { badRequest, optBool, optNumber, optObject, optString, optStringMap, optStrings } from '../http';

function network(mode: string | undefined): ContainerConfig['network'] {
  if (mode === 'host' || mode === 'none') return mode;
  return 'private';
}

function bind(spec: string): MountSpec {
  const [src, dst, opts = ''] = spec.split(':');
  if (!src || !dst || !path.isAbsolute(dst)) throw badRequest(`invalid volume specification: '${spec}'`);
  if (!path.isAbsolute(src)) throw badRequest(`named volumes are not supported: '${spec}'`);
  const options = opts.split(',').filter(Boolean);
  return { type: 'bind', source: src, destination: dst, rw: !options.includes('ro'), options: [] };
}

export function dockerCreateRequest(body: Record<string, unknown>, name: string | undefined): CreateRequest {
  const image = optString(body, 'Image');
  if (!image) throw badRequest('Config.Image: an image is required');
  const host = optObject(body, 'HostConfig') ?? {};
  const entrypoint = optStrings(body, 'Entrypoint');
  const stopSignal = optString(body, 'StopSignal');
  const restart = optObject(host, 'RestartPolicy');
  const config: Partial<ContainerConfig> = {
    env: optStrings(body, 'Env') ?? [],
    entrypoint: entrypoint ?? [],
    entrypointSet: entrypoint !== undefined && entrypoint.length > 0,
    workdir: optString(body, 'WorkingDir') ?? '',
    user: optString(body, 'User') ?? '',
    hostname: optString(body, 'Hostname') || undefined,
    labels: optStringMap(body, 'Labels') ?? {},
    tty: optBool(body, 'Tty') ?? false,
    stdin: optBool(body, 'OpenStdin') ?? false,
    stopSignal: stopSignal ? signalNumber(stopSignal) : undefined,
    stopTimeout: optNumber(body, 'StopTimeout') ?? undefined,
    autoRemove: optBool(host, 'AutoRemove') ?? false,
    mounts: (optStrings(host, 'Binds') ?? []).map(bind),
    network: network(optString(host, 'NetworkMode')),
    privileged: optBool(host, 'Privileged') ?? false,
    readOnly: optBool(host, 'ReadonlyRootfs') ?? false,
    capAdd: optStrings(host, 'CapAdd') ?? [],
    capDrop: optStrings(host, 'CapDrop') ?? [],
    init: optBool(host, 'Init') ?? false,
    restartPolicy: restart ? (optString(restart, 'Name') ?? '').replace(/^no$/, '') : '',
    createCommand: [],
  };
  return { image, name: name || undefined, command: optStrings(body, 'Cmd') ?? [], config };
}

/** libpod's SpecGenerator (the fields tspod supports). */
export function libpodCreateRequest(body: Record<string, unknown>): CreateRequest {
  const image = optString(body, 'image');
  if (!image) throw badRequest('image: an image is required');
  const entrypoint = optStrings(body, 'entrypoint');
  const envMap = optStringMap(body, 'env') ?? {};
  const stopSignal = body.stop_signal;
  const config: Partial<ContainerConfig> = {
    env: Object.entries(envMap).map(([k, v]) => `${k}=${v}`),
    entrypoint: entrypoint ?? [],
    entrypointSet: entrypoint !== undefined,
    workdir: optString(body, 'work_dir') ?? '',
    user: optString(body, 'user') ?? '',
    hostname: optString(body, 'hostname') || undefined,
    labels: optStringMap(body, 'labels') ?? {},
    annotations: optStringMap(body, 'annotations') ?? {},
    tty: optBool(body, 'terminal') ?? false,
    stdin: optBool(body, 'stdin') ?? false,
    stopSignal: typeof stopSignal === 'number' || typeof stopSignal === 'string' ? signalNumber(stopSignal) : undefined,
    stopTimeout: optNumber(body, 'stop_timeout'),
    autoRemove: optBool(body, 'remove') ?? false,
    privileged: optBool(body, 'privileged') ?? false,
    readOnly: optBool(body, 'read_only_filesystem') ?? false,
    capAdd: optStrings(body, 'cap_add') ?? [],
    capDrop: optStrings(body, 'cap_drop') ?? [],
    restartPolicy: optString(body, 'restart_policy') ?? '',
    createCommand: [],
  };
  const ns = optObject(body, 'netns');
  if (ns) config.network = network(optString(ns, 'nsmode'));
  return { image, name: optString(body, 'name') || undefined, command: optStrings(body, 'command') ?? [], config };
}
