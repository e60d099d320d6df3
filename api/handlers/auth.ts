// POST /auth: checks credentials against a registry (Docker's `docker login`
// through the service); nothing is stored. Answers as Podman's compat handler:
// 200 "Login Succeeded", or a 500 saying why.
import type { RouteContext } from '../router';
import { ApiError, badRequest, optString, readJson, sendJson } from '../http';
import { RegistryClient } from '../../lib/image/registry/client';
import { AuthError } from '../../lib/image/registry/auth';
import { findRegistry, loadRegistriesConf } from '../../lib/config/registries-conf';

/** `https://host:port/` -> `host:port` */
const registryHost = (address: string) => address.replace(/^[a-z]+:\/\//i, '').split('/')[0];

/** Node's network error in Go's wording, which clients match (`no such host`). */
function reason(err: unknown, host: string): string {
  if (err instanceof AuthError) return '401 Unauthorized';
  const e = err as NodeJS.ErrnoException;
  // the transport may wrap the resolver's error: its code is then only in the message
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || /\b(ENOTFOUND|EAI_AGAIN)\b/.test(e.message))
    return `pinging container registry ${host}: dial tcp: lookup ${host.split(':')[0]}: no such host`;
  return e.message;
}

export async function auth(ctx: RouteContext): Promise<void> {
  const body = await readJson(ctx.req);
  const address = optString(body, 'serveraddress') ?? optString(body, 'ServerAddress') ?? '';
  const username = optString(body, 'username') ?? optString(body, 'Username') ?? '';
  const password = optString(body, 'password') ?? optString(body, 'Password') ?? '';
  const host = registryHost(address);
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) throw badRequest(`invalid registry address ${JSON.stringify(address)}`);
  // Podman's handler skips TLS verification for localhost only ("support for local testing")
  const insecure = /^localhost(:|$)/.test(host) || (findRegistry(loadRegistriesConf(), host)?.insecure ?? false);
  try {
    await new RegistryClient(host, { insecure, credentials: { username, password } }).ping();
  } catch (err) {
    const why = reason(err, host);
    throw new ApiError(500, `login attempt to ${address} failed with status: ${why}`, why);
  }
  sendJson(ctx.res, 200, { Status: 'Login Succeeded', IdentityToken: '' });
}
