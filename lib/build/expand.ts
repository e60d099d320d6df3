// Variable substitution in Containerfile arguments, as Docker does it: $VAR,
// ${VAR}, ${VAR:-default}, ${VAR:+alternative}; `\$` is a literal dollar and
// single-quoted text is not expanded. RUN, CMD and ENTRYPOINT are left to the shell.

export function expandVariables(text: string, vars: Map<string, string>): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'" && quote !== '"') quote = quote === "'" ? undefined : "'";
    else if (ch === '"' && quote !== "'") quote = quote === '"' ? undefined : '"';
    if (ch === '\\' && text[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (ch !== '$' || quote === "'") {
      out += ch;
      continue;
    }
    if (text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end < 0) {
        out += ch;
        continue;
      }
      const body = text.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(body);
      if (!m) {
        out += text.slice(i, end + 1);
      } else {
        const v = vars.get(m[1]);
        if (m[2] === '-') out += v ? v : expandVariables(m[3], vars);
        else if (m[2] === '+') out += v ? expandVariables(m[3], vars) : '';
        else out += v ?? '';
      }
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += ch;
      continue;
    }
    out += vars.get(m[0]) ?? '';
    i += m[0].length;
  }
  return out;
}
