// `tspod secret create|ls|inspect|rm|exists`, in Podman's formats and exit codes.
import { keyValues } from '../parse';
import * as fs from 'node:fs';
import type { CommandDef } from '../command';
import { err, forEachTarget, out, removalExitCode } from '../command';
import { arr, bool, str, UsageError } from '../parse';
import { EngineError, invalidArgument } from '../../errors';
import { printJson, renderFormat, renderList } from '../output';
import { MAX_SECRET_SIZE } from '../../secret/secrets';
import { filterFlags } from '../../container/filters';
import { timeAgo } from '../../format/units';

/** The secret's data: a file, `-` (stdin) or, with --env, an environment variable; bounded in size. */
function readSecretData(source: string, fromEnv: boolean): Buffer {
  if (fromEnv) {
    const v = process.env[source];
    if (v === undefined) throw invalidArgument(`cannot create secret - environment variable ${source} has no value`);
    return Buffer.from(v);
  }
  const fd = source === '-' ? 0 : fs.openSync(source, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.alloc(65536);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      total += n;
      if (total >= MAX_SECRET_SIZE) throw invalidArgument(`secret data must be larger than 0 and less than ${MAX_SECRET_SIZE} bytes`);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks);
  } finally {
    if (fd !== 0) fs.closeSync(fd);
  }
}

export const secretCreateCommand: CommandDef = {
  name: 'create',
  usage: 'tspod secret create [options] NAME FILE|-',
  description: 'Create a new secret',
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'file', help: 'Specify secret driver' },
    { name: 'driver-opts', type: 'array', help: 'Specify driver specific options' },
    { name: 'env', type: 'bool', help: 'Read secret data from environment variable' },
    { name: 'label', short: 'l', type: 'array', help: 'Specify labels on the secret' },
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx, p) {
    const [name, source] = p.args;
    const data = readSecretData(source, bool(p.flags.env));
    const id = await ctx.client.secrets.createSecret({
      name,
      data,
      driver: str(p.flags.driver),
      driverOptions: keyValues(arr(p.flags['driver-opts'])),
      labels: keyValues(arr(p.flags.label)),
    });
    out(`${id}\n`);
    return 0;
  },
};

export const secretLsCommand: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  usage: 'tspod secret ls [options]',
  description: 'List secrets',
  flags: [
    { name: 'filter', short: 'f', type: 'array', help: 'Filter secret output' },
    { name: 'format', type: 'string', help: 'Format secret output using Go template' },
    { name: 'noheading', short: 'n', type: 'bool', help: 'Do not print headers' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Print secret IDs only' },
  ],
  maxArgs: 0,
  async run(ctx, p) {
    const secrets = await ctx.client.secrets.listSecrets(filterFlags(arr(p.flags.filter)));
    if (bool(p.flags.quiet)) {
      for (const s of secrets) out(`${s.ID}\n`);
      return 0;
    }
    const rows = secrets.map((s) => ({ ID: s.ID, Name: s.Spec.Name, Driver: s.Spec.Driver.Name, CreatedAt: timeAgo(new Date(s.CreatedAt)), UpdatedAt: timeAgo(new Date(s.UpdatedAt)) }));
    const format = str(p.flags.format);
    if (format === 'json') {
      printJson(secrets);
      return 0;
    }
    renderList(
      { name: 'secret ls', headers: { CreatedAt: 'created', UpdatedAt: 'updated' }, fields: ['ID', 'Name', 'Driver', 'CreatedAt', 'UpdatedAt'], defaultRow: '{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}' },
      format,
      rows,
      bool(p.flags.noheading),
    );
    return 0;
  },
};

export const secretInspectCommand: CommandDef = {
  name: 'inspect',
  usage: 'tspod secret inspect [options] SECRET [SECRET...]',
  description: 'Inspect a secret',
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Format inspect output using Go template' },
    { name: 'pretty', type: 'bool', help: 'Print inspect output in human-readable format' },
  ],
  async run(ctx, p) {
    if (p.args.length === 0) throw new UsageError('requires at least 1 arg(s), only received 0');
    const docs: unknown[] = [];
    let code = 0;
    for (const name of p.args) {
      try {
        docs.push(await ctx.client.secrets.inspectSecret(name));
      } catch (e) {
        if (!(e instanceof EngineError && e.kind === 'no-such-object')) throw e;
        err(`Error: inspecting secret: ${e.message}\n`);
        code = 125;
      }
    }
    const format = str(p.flags.format);
    if (format && format !== 'json') renderFormat(format, docs);
    else printJson(docs);
    return code;
  },
};

export const secretRmCommand: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  usage: 'tspod secret rm [options] SECRET [SECRET...]',
  description: 'Remove one or more secrets',
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Remove all secrets' }],
  async run(ctx, p) {
    const all = bool(p.flags.all);
    if (all === (p.args.length > 0)) throw new UsageError('incorrect number of arguments: --all or one or more secret names');
    const secrets = ctx.client.secrets;
    const names = all ? (await secrets.listSecrets(new Map())).map((s) => s.ID) : p.args;
    return forEachTarget(names, (name) => secrets.removeSecret(name), removalExitCode);
  },
};

export const secretExistsCommand: CommandDef = {
  name: 'exists',
  usage: 'tspod secret exists SECRET',
  description: 'Check if a secret exists in local storage',
  flags: [],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx, p) {
    return (await ctx.client.secrets.secretExists(p.args[0])) ? 0 : 1;
  },
};

export const SECRET_GROUP = [secretCreateCommand, secretLsCommand, secretInspectCommand, secretRmCommand, secretExistsCommand];
