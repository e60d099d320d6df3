// Registry authentication: WWW-Authenticate challenges (RFC 7235), Docker's
// token protocol for Bearer challenges (GET realm?service=&scope=, with basic
// credentials when we have them), and plain Basic auth.
import { EngineError } from '../../errors';
import type { Credentials } from '../../config/auth-json';
import { type RegistryTransport, readBody } from './transport';

export interface Challenge {
  scheme: string; // lower case: bearer, basic
  params: Record<string, string>;
}

/** Parses a WWW-Authenticate header (several challenges, quoted parameters). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)((?:\s*,?\s*[A-Za-z0-9_.-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*)*)/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m || m[0].length === 0) break;
    pos = re.lastIndex;
    const params: Record<string, string> = {};
    for (const p of m[2].matchAll(/([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g))
      params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
    out.push({ scheme: m[1].toLowerCase(), params });
    while (pos < text.length && /[\s,]/.test(text[pos])) pos++;
  }
  return out;
}

export const basicHeader = (c: Credentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

export class AuthError extends EngineError {
  constructor(message: string) {
    super('internal', message);
  }
}

/** Gets a bearer token for scopes from the challenge's realm. */
export async function fetchToken(
  transport: RegistryTransport,
  challenge: Challenge,
  scopes: string[],
  creds: Credentials | undefined,
): Promise<string> {
  const realm = challenge.params.realm;
  if (!realm) throw new AuthError(`the registry ${transport.host} sent a Bearer challenge without a realm`);
  const url = new URL(realm);
  if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
  for (const s of scopes) url.searchParams.append('scope', s);
  let res;
  if (creds?.identityToken) {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'tspod' });
    if (challenge.params.service) form.set('service', challenge.params.service);
    form.set('scope', scopes.join(' '));
    res = await transport.request(realm, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: Buffer.from(form.toString()),
    });
  } else {
    res = await transport.request(url.href, { headers: creds ? { Authorization: basicHeader(creds) } : {} });
  }
  const body = await readBody(res, 1 << 20);
  if (res.statusCode === 401 || res.statusCode === 403)
    throw new AuthError(`authenticating to ${transport.host}: invalid username/password: ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
  if (res.statusCode !== 200) throw new AuthError(`fetching a token from ${realm}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
  let parsed: { token?: string; access_token?: string };
  try {
    parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
  } catch {
    throw new AuthError(`fetching a token from ${realm}: the response is not JSON`);
  }
  const token = parsed.token || parsed.access_token;
  if (!token) throw new AuthError(`fetching a token from ${realm}: the response has no token`);
  return token;
}
