// YAML for Kubernetes objects through the `yaml` package, loaded on first use:
// most commands never read or write YAML and the CLI's start-up should not pay for it.
import { invalidArgument } from '../errors';

type YamlLib = typeof import('yaml');
let lib: YamlLib | undefined;
const yaml = (): YamlLib => (lib ??= require('yaml') as YamlLib);

/** One object as a YAML document (keys in the order given, undefined values left out). */
export function toKubeYaml(obj: unknown): string {
  // YAML 1.1 quoting (as Go's yaml writes it): `yes`, `on` or a timestamp stay strings for every reader
  return yaml().stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false, indentSeq: false, schema: 'yaml-1.1' });
}

/** Every document of a (multi-document) YAML text; empty documents are skipped. */
export function parseKubeYaml(text: string): unknown[] {
  const docs = yaml().parseAllDocuments(text, { uniqueKeys: false });
  const out: unknown[] = [];
  for (const [i, d] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (d.errors.length) throw invalidArgument(`unable to read YAML as Kube: document ${i + 1}: ${d.errors[0].message.split('\n')[0]}`);
    const v = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}
