// Registry and archive commands: pull, push, login, logout, search, save, export.
import { archiveTransport } from '../../image/transport-ref';
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { CommandDef } from '../command';
import { out } from '../command';
import type { FlagDef, Parsed } from '../parse';
import { bool, int, str, UsageError } from '../parse';
import { EngineError } from '../../errors';
import { parseReference } from '../../image';
import { type RegistryOptions, endpointFor } from '../../image/pull';
import { type SaveFormat, SAVE_FORMATS } from '../../image/save';
import { RegistryClient } from '../../image/registry/client';
import { type Credentials, defaultAuthFile, lookupCredentials, removeAllCredentials, removeCredentials, storeCredentials } from '../../config/auth-json';
import { findRegistry, loadRegistriesConf } from '../../config/registries-conf';
import { renderList } from '../output';

const TLS_FLAG: FlagDef = { name: 'tls-verify', type: 'bool', default: true, help: 'Require HTTPS and verify certificates when contacting registries' };
const AUTHFILE_FLAG: FlagDef = { name: 'authfile', type: 'string', help: 'Path of the authentication file (default ${XDG_RUNTIME_DIR}/containers/auth.json)' };
const CREDS_FLAG: FlagDef = { name: 'creds', type: 'string', help: 'Use `[username[:password]]` for accessing the registry' };
const CERT_DIR_FLAG: FlagDef = { name: 'cert-dir', type: 'string', hidden: true };

function parseCreds(v: string | undefined): Credentials | undefined {
  if (!v) return undefined;
  const colon = v.indexOf(':');
  if (colon < 0) throw new EngineError('invalid-argument', '--creds: give username:password');
  return { username: v.slice(0, colon), password: v.slice(colon + 1) };
}

/** The registry options common to pull, push, search, login. */
export function registryOptions(p: Parsed): RegistryOptions {
  const authfile = str(p.flags.authfile);
  // Podman refuses a missing --authfile for pull, push and search
  if (authfile && !fs.existsSync(authfile))
    throw new EngineError('invalid-argument', `credential file is not accessible: stat ${authfile}: no such file or directory`);
  return {
    tlsVerify: p.given.has('tls-verify') ? bool(p.flags['tls-verify']) : undefined,
    authfile,
    credentials: parseCreds(str(p.flags.creds)),
  };
}

function platformOf(p: Parsed): string | undefined {
  const platform = str(p.flags.platform);
  if (platform) return platform;
  const os = str(p.flags.os);
  const arch = str(p.flags.arch);
  const variant = str(p.flags.variant);
  if (!os && !arch) return undefined;
  return `${os ?? 'linux'}/${arch ?? process.arch}${variant ? `/${variant}` : ''}`;
}

export const pullCommand: CommandDef = {
  name: 'pull',
  usage: 'tspod pull [options] IMAGE [IMAGE...]',
  description: 'Pull an image from a registry',
  flags: [
    TLS_FLAG,
    AUTHFILE_FLAG,
    CREDS_FLAG,
    CERT_DIR_FLAG,
    { name: 'platform', type: 'string', help: 'Specify the platform for selecting the image (os/arch[/variant])' },
    { name: 'arch', type: 'string', help: 'Use ARCH instead of the architecture of the machine for choosing images' },
    { name: 'os', type: 'string', help: 'Use OS instead of the running OS for choosing images' },
    { name: 'variant', type: 'string', help: 'Use VARIANT instead of the running architecture variant for choosing images' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output information when pulling images' },
    { name: 'all-tags', short: 'a', type: 'bool', help: 'All tagged images in the repository will be pulled' },
    { name: 'retry', type: 'int', hidden: true },
    { name: 'policy', type: 'string', hidden: true },
  ],
  minArgs: 1,
  async run(ctx, p) {
    const { authfile, credentials, tlsVerify } = registryOptions(p);
    for (const arg of p.args) {
      const ids = await ctx.client.pull(arg, {
        authfile,
        credentials,
        tlsVerify,
        quiet: bool(p.flags.quiet),
        allTags: bool(p.flags['all-tags']),
        platform: platformOf(p),
      });
      out(ids.map((id) => `${id}\n`).join(''));
    }
    return 0;
  },
};

export const pushCommand: CommandDef = {
  name: 'push',
  usage: 'tspod push [options] IMAGE [DESTINATION]',
  description: 'Push an image to a specified destination',
  flags: [
    TLS_FLAG,
    AUTHFILE_FLAG,
    CREDS_FLAG,
    CERT_DIR_FLAG,
    { name: 'quiet', short: 'q', type: 'bool', help: "Suppress output information when pushing images" },
    { name: 'digestfile', type: 'string', help: 'Write the digest of the pushed image to the specified file' },
    { name: 'format', short: 'f', type: 'string', help: 'Manifest type (oci, v2s2) to use when pushing an image (only the stored type is pushed)' },
    { name: 'compression-format', type: 'string', hidden: true },
    { name: 'remove-signatures', type: 'bool', hidden: true },
    { name: 'retry', type: 'int', hidden: true },
  ],
  minArgs: 1,
  maxArgs: 2,
  async run(ctx, p) {
    const dest = p.args[1];
    const archive = dest ? archiveTransport(dest) : undefined;
    // an archive destination is the client's file; remote: the credentials are the client's (its auth file, --creds), sent with the request
    const digest = await ctx.client.transfer.pushImage(p.args[0], dest, { ...registryOptions(p), quiet: bool(p.flags.quiet) });
    const digestfile = str(p.flags.digestfile);
    if (digestfile && !archive) {
      if (!digest) throw new EngineError('internal', 'the service did not report the digest it pushed (--digestfile)');
      fs.writeFileSync(digestfile, digest);
    }
    return 0;
  },
};

/** `host[:port][/path]` from what login/logout were given (a URL, a reference). */
function registryKey(arg: string): string {
  return arg.replace(/^https?:\/\//, '').replace(/^docker:\/\//, '').replace(/\/+$/, '');
}

async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw new EngineError('invalid-argument', 'cannot prompt for a password without a terminal: use --password or --password-stdin');
  process.stderr.write(prompt);
  const rl = readline.createInterface({ input: process.stdin, terminal: true });
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const line = await new Promise<string>((resolve) => rl.once('line', resolve));
  rl.close();
  process.stderr.write('\n');
  return line;
}

async function readLine(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw new EngineError('invalid-argument', 'cannot prompt for a username without a terminal: use --username');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => rl.question(prompt, resolve));
  rl.close();
  return answer;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const loginCommand: CommandDef = {
  name: 'login',
  usage: 'tspod login [options] [REGISTRY]',
  description: 'Log in to a container registry',
  flags: [
    TLS_FLAG,
    AUTHFILE_FLAG,
    CERT_DIR_FLAG,
    { name: 'username', short: 'u', type: 'string', help: 'Username for registry' },
    { name: 'password', short: 'p', type: 'string', help: 'Password for registry' },
    { name: 'password-stdin', type: 'bool', help: 'Take the password from stdin' },
    { name: 'get-login', type: 'bool', help: 'Return the current login user for the registry' },
    { name: 'verbose', short: 'v', type: 'bool', help: 'Write more detailed information to stdout' },
  ],
  maxArgs: 1,
  async run(_ctx, p) {
    const authfile = str(p.flags.authfile);
    const conf = loadRegistriesConf();
    const key = registryKey(p.args[0] ?? conf.unqualifiedSearch[0] ?? '');
    if (!key) throw new EngineError('invalid-argument', 'please provide a registry to log in to');
    const host = key.split('/')[0];
    if (bool(p.flags['get-login'])) {
      const c = lookupCredentials(host, key.includes('/') ? key.slice(host.length + 1) : undefined, authfile);
      if (!c) throw new EngineError('invalid-argument', `not logged into ${key}`);
      out(`${c.username}\n`);
      return 0;
    }
    let username = str(p.flags.username);
    let password = str(p.flags.password);
    if (bool(p.flags['password-stdin'])) {
      if (password) throw new UsageError("can't specify both --password-stdin and --password");
      if (!username) throw new UsageError('must provide --username with --password-stdin');
      password = await readStdin();
    }
    username ??= await readLine('Username: ');
    password ??= await readSecret('Password: ');
    if (!username) throw new EngineError('invalid-argument', 'username is required');
    const entry = findRegistry(conf, key);
    const insecure = p.given.has('tls-verify') ? !bool(p.flags['tls-verify']) : (entry?.insecure ?? false);
    const client = new RegistryClient(host, { insecure, credentials: { username, password } });
    await client.ping();
    const file = storeCredentials(key, username, password, authfile);
    if (bool(p.flags.verbose)) out(`Used: ${file}\n`);
    out('Login Succeeded!\n');
    return 0;
  },
};

export const logoutCommand: CommandDef = {
  name: 'logout',
  usage: 'tspod logout [options] [REGISTRY]',
  description: 'Log out of a container registry',
  flags: [AUTHFILE_FLAG, { name: 'all', short: 'a', type: 'bool', help: 'Remove the cached credentials for all registries in the auth file' }],
  maxArgs: 1,
  run(_ctx, p) {
    const authfile = str(p.flags.authfile);
    if (bool(p.flags.all)) {
      removeAllCredentials(authfile);
      out('Removed login credentials for all registries\n');
      return 0;
    }
    const key = registryKey(p.args[0] ?? loadRegistriesConf().unqualifiedSearch[0] ?? '');
    if (!key) throw new EngineError('invalid-argument', 'please provide a registry to log out from');
    if (!removeCredentials(key, authfile ?? defaultAuthFile())) throw new EngineError('invalid-argument', `not logged into ${key}`);
    out(`Removed login credentials for ${key}\n`);
    return 0;
  },
};

export const searchCommand: CommandDef = {
  name: 'search',
  usage: 'tspod search [options] TERM',
  description: 'Search a registry for an image',
  flags: [
    TLS_FLAG,
    AUTHFILE_FLAG,
    CREDS_FLAG,
    CERT_DIR_FLAG,
    { name: 'limit', type: 'int', help: 'Limit the number of results' },
    { name: 'list-tags', type: 'bool', help: 'List the tags of the input registry' },
    { name: 'format', type: 'string', help: 'Change the output format to JSON or a Go template' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate the output' },
    { name: 'filter', short: 'f', type: 'array', hidden: true },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(_ctx, p) {
    const opts = registryOptions(p);
    const term = p.args[0].replace(/^docker:\/\//, '');
    const limit = int(p.flags.limit) ?? 25;
    const format = str(p.flags.format);
    const headers = { Name: 'NAME', Description: 'DESCRIPTION', Tag: 'TAG', Index: 'INDEX', Stars: 'STARS', Official: 'OFFICIAL', Automated: 'AUTOMATED' };
    const fields = ['Index', 'Name', 'Description', 'Stars', 'Official', 'Automated', 'Tag'];
    if (bool(p.flags['list-tags'])) {
      const ref = parseReference(term);
      if (ref.tag || ref.digest) throw new EngineError('invalid-argument', 'tags are not allowed with --list-tags');
      const { client, repository, registry } = endpointFor(ref, opts);
      const tags = (await client.tags(repository)).slice(0, limit);
      const rows = tags.map((t) => ({ Name: `${registry}/${repository}`, Tag: t, Index: registry, Description: '', Stars: 0, Official: '', Automated: '' }));
      if (format === 'json') out(`${JSON.stringify(rows.map((r) => ({ Name: r.Name, Tags: tags })).slice(0, 1), null, 4)}\n`);
      else renderList({ name: 'search', headers, fields, defaultRow: '{{.Name}}\t{{.Tag}}' }, format === 'json' ? undefined : format, rows, false);
      return 0;
    }
    // TERM: registry/term, or the unqualified-search registries for a bare term
    const slash = term.indexOf('/');
    const first = slash >= 0 ? term.slice(0, slash) : '';
    const registries = /[.:]/.test(first) || first === 'localhost' ? [first] : loadRegistriesConf().unqualifiedSearch;
    const needle = /[.:]/.test(first) || first === 'localhost' ? term.slice(slash + 1) : term;
    if (registries.length === 0) throw new EngineError('invalid-argument', 'no registries to search: give registry/term or set unqualified-search-registries');
    const rows: Record<string, unknown>[] = [];
    let lastError: Error | undefined;
    for (const registry of registries) {
      try {
        const { client } = endpointFor(parseReference(`${registry}/x`), opts);
        for (const repo of await client.catalog()) {
          if (needle && !repo.includes(needle)) continue;
          rows.push({ Index: registry, Name: `${registry}/${repo}`, Description: '', Stars: 0, Official: '', Automated: '', Tag: '' });
        }
      } catch (e) {
        lastError = e as Error;
      }
    }
    if (rows.length === 0 && lastError) throw lastError;
    const shown = rows.slice(0, limit);
    if (format === 'json') out(`${JSON.stringify(shown, null, 4)}\n`);
    else renderList({ name: 'search', headers, fields, defaultRow: '{{.Name}}\t{{.Description}}' }, format, shown, false);
    return 0;
  },
};

export const saveCommand: CommandDef = {
  name: 'save',
  usage: 'tspod save [options] IMAGE [IMAGE...]',
  description: 'Save image(s) to an archive',
  flags: [
    { name: 'output', short: 'o', type: 'string', help: 'Write to a specified file (default: stdout, which must be redirected)' },
    { name: 'format', type: 'string', default: 'docker-archive', help: 'Save image to oci-archive, oci-dir (directory with oci manifest type), docker-archive, docker-dir' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the output' },
    { name: 'compress', type: 'bool', help: 'Compress tarball image layers when saving to a directory using the \'dir\' transport' },
    { name: 'multi-image-archive', short: 'm', type: 'bool', help: 'Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)' },
    { name: 'uncompressed', type: 'bool', help: 'Accept uncompressed layers when copying OCI images' },
  ],
  minArgs: 1,
  async run(ctx, p) {
    const format = str(p.flags.format) as SaveFormat;
    if (!SAVE_FORMATS.includes(format)) throw new EngineError('invalid-argument', `unknown format option "${format}"`);
    const output = str(p.flags.output) ?? '-';
    if (output === '-' && process.stdout.isTTY) throw new EngineError('invalid-argument', 'refusing to save to terminal. Use -o flag or redirect');
    if (p.args.length > 1 && format !== 'docker-archive' && format !== 'oci-archive')
      throw new EngineError('invalid-argument', `--format ${format} saves one image`);
    await ctx.client.transfer.saveImages(p.args, { format, output, uncompressed: bool(p.flags.uncompressed), multiImage: bool(p.flags['multi-image-archive']) });
    return 0;
  },
};

export const exportCommand: CommandDef = {
  name: 'export',
  usage: 'tspod export [options] CONTAINER',
  description: "Export container's filesystem contents as a tar archive",
  flags: [{ name: 'output', short: 'o', type: 'string', help: 'Write to a specified file (default: stdout, which must be redirected)' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    const output = str(p.flags.output) ?? '-';
    if (output === '-' && process.stdout.isTTY) throw new EngineError('invalid-argument', 'refusing to export to terminal. Use -o flag or redirect');
    await ctx.client.transfer.exportContainer(p.args[0], output);
    return 0;
  },
};

export const REGISTRY_COMMANDS: CommandDef[] = [pullCommand, pushCommand, loginCommand, logoutCommand, searchCommand, saveCommand, exportCommand];
