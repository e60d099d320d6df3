// --format handling shared by the commands: JSON, Go templates, and Podman's tables.
import { goJSON, renderInspect, renderReport, TemplateError } from '../format/gotemplate';
import { EngineError } from '../errors';
import { out } from './command';

/**
 * JSON output, without HTML escaping. Podman's commands indent differently and tspod follows each:
 * 4 spaces by default (images, secret inspect, manifest inspect), INSPECT_INDENT
 * for the inspect commands, LIST_INDENT for ps, pod ps, volume ls, network ls and info.
 */
export function printJson(value: unknown, indent = '    '): void {
  out(`${goJSON(value, { indent })}\n`);
}
/** container, image, volume, pod, network and `inspect`: Podman 4.3.1 indents them by five */
export const INSPECT_INDENT = '     ';
export const LIST_INDENT = '  ';

function rethrow(e: unknown, partialOut = true): never {
  if (e instanceof TemplateError) {
    if (partialOut && e.partial) out(e.partial);
    throw new EngineError('invalid-argument', e.message);
  }
  throw e;
}

/**
 * An inspect result as a template sees it: Podman's inspect types name the ID
 * field `ID` in Go (`json:"Id"`), so `{{.ID}}` must work where the JSON says
 * `Id`. The alias is not enumerable: `{{json .}}` and JSON output stay as they are.
 */
export function inspectTemplateView(item: unknown): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  const o = item as Record<string, unknown>;
  if (!('Id' in o) || 'ID' in o) return item;
  const view = { ...o };
  Object.defineProperty(view, 'ID', { value: o.Id, enumerable: false });
  return view;
}

/** `inspect --format`: the template once per item. */
export function renderFormat(format: string, items: unknown[]): void {
  try {
    out(renderInspect(format, items));
  } catch (e) {
    rethrow(e);
  }
}

export interface ListFormat {
  name: string; // ps, images
  headers: Readonly<Record<string, string>>;
  fields: readonly string[];
  defaultRow: string;
}

/** A list command's rows: the user's --format, or the command's own aligned table. */
export function renderList(list: ListFormat, format: string | undefined, rows: unknown[], noHeading: boolean): void {
  try {
    out(
      renderReport(format ?? list.defaultRow, rows, {
        name: list.name,
        origin: format ? 'user' : 'podman',
        headers: list.headers,
        fields: list.fields,
        noHeading,
      }),
    );
  } catch (e) {
    rethrow(e);
  }
}
