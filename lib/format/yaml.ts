// YAML as Go's gopkg.in/yaml.v2 writes it for Podman's `info`: maps in their
// own key order, two-space indentation, list items at their key's indent,
// strings quoted only when they would read as something else.

const PLAIN = /^[A-Za-z0-9_./+@%(][A-Za-z0-9_ ./:+@%()=,-]*$/;
const LOOKS_TYPED = /^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?(?:\d[\d_]*(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+|0x[0-9a-f]+|\.inf|\.nan))$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  const s = String(v);
  if (s === '') return '""';
  if (PLAIN.test(s) && !LOOKS_TYPED.test(s) && !s.endsWith(' ') && !s.includes(': ') && !s.includes(' #')) return s;
  return JSON.stringify(s);
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

function lines(v: unknown, indent: string): string[] {
  const out: string[] = [];
  if (isMap(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      if (isMap(val) && Object.keys(val).length > 0) out.push(`${indent}${scalar(k)}:`, ...lines(val, `${indent}  `));
      else if (Array.isArray(val) && val.length > 0) out.push(`${indent}${scalar(k)}:`, ...lines(val, indent));
      else out.push(`${indent}${scalar(k)}: ${isMap(val) ? '{}' : Array.isArray(val) ? '[]' : scalar(val instanceof Date ? val.toISOString() : val)}`);
    }
  } else if (Array.isArray(v)) {
    for (const item of v) {
      if ((isMap(item) && Object.keys(item).length > 0) || (Array.isArray(item) && item.length > 0)) {
        const [first, ...rest] = lines(item, `${indent}  `);
        out.push(`${indent}- ${first.trimStart()}`, ...rest);
      } else out.push(`${indent}- ${isMap(item) ? '{}' : Array.isArray(item) ? '[]' : scalar(item)}`);
    }
  } else out.push(`${indent}${scalar(v)}`);
  return out;
}

/** A value as a YAML document (ends with a newline). */
export function toYaml(value: unknown): string {
  return `${lines(value, '').join('\n')}\n`;
}
