// A small JSON Schema (draft-04) checker for the OCI runtime-spec schemas in
// shared/reference: $ref across the schema files, type, enum, properties,
// required, items, minItems, minimum/maximum, pattern, patternProperties,
// additionalProperties, anyOf/allOf/oneOf. Returns the problems found.
import * as fs from 'node:fs';
import * as path from 'node:path';

type Schema = Record<string, unknown>;

export class SchemaChecker {
  private files = new Map<string, Schema>();

  constructor(private readonly dir: string) {}

  private file(name: string): Schema {
    let s = this.files.get(name);
    if (!s) {
      s = JSON.parse(fs.readFileSync(path.join(this.dir, name), 'utf8')) as Schema;
      this.files.set(name, s);
    }
    return s;
  }

  private resolve(ref: string, base: string): { schema: Schema; base: string } {
    const [file, pointer = ''] = ref.split('#');
    const name = file || base;
    let node: unknown = this.file(name);
    for (const part of pointer.split('/').filter(Boolean)) node = (node as Schema)[part];
    if (!node) throw new Error(`unresolved $ref ${ref} from ${base}`);
    return { schema: node as Schema, base: name };
  }

  /** Checks value against the schema found at ref (e.g. "config-schema.json#"). */
  check(value: unknown, ref: string): string[] {
    const { schema, base } = this.resolve(ref, '');
    const problems: string[] = [];
    this.walk(value, schema, base, '$', problems);
    return problems;
  }

  private walk(v: unknown, s: Schema, base: string, at: string, out: string[]): void {
    if (typeof s.$ref === 'string') {
      const r = this.resolve(s.$ref, base);
      this.walk(v, r.schema, r.base, at, out);
      return;
    }
    const type = s.type as string | undefined;
    if (type && !hasType(v, type)) {
      out.push(`${at}: expected ${type}, got ${JSON.stringify(v)}`);
      return;
    }
    if (Array.isArray(s.enum) && !s.enum.includes(v)) out.push(`${at}: ${JSON.stringify(v)} not in enum`);
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${at}: ${v} < minimum ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${at}: ${v} > maximum ${s.maximum}`);
    }
    if (typeof v === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v)) out.push(`${at}: "${v}" does not match ${s.pattern}`);
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems) out.push(`${at}: fewer than ${s.minItems} items`);
      if (s.items) v.forEach((x, i) => this.walk(x, s.items as Schema, base, `${at}[${i}]`, out));
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      for (const k of (s.required as string[] | undefined) ?? []) if (!(k in o)) out.push(`${at}: missing required ${k}`);
      const props = (s.properties as Record<string, Schema> | undefined) ?? {};
      for (const [k, x] of Object.entries(o)) {
        if (props[k]) this.walk(x, props[k], base, `${at}.${k}`, out);
        else if (s.patternProperties) {
          for (const [p, ps] of Object.entries(s.patternProperties as Record<string, Schema>)) if (new RegExp(p).test(k)) this.walk(x, ps, base, `${at}.${k}`, out);
        } else if (s.additionalProperties && typeof s.additionalProperties === 'object') this.walk(x, s.additionalProperties as Schema, base, `${at}.${k}`, out);
      }
    }
    for (const sub of (s.allOf as Schema[] | undefined) ?? []) this.walk(v, sub, base, at, out);
    for (const key of ['anyOf', 'oneOf'] as const) {
      const subs = s[key] as Schema[] | undefined;
      if (!subs) continue;
      const passing = subs.filter((sub) => {
        const p: string[] = [];
        this.walk(v, sub, base, at, p);
        return p.length === 0;
      }).length;
      if (key === 'anyOf' ? passing === 0 : passing !== 1) out.push(`${at}: ${key} not satisfied`);
    }
  }
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return !!v && typeof v === 'object' && !Array.isArray(v);
    case 'null':
      return v === null;
    default:
      return typeof v === type;
  }
}
