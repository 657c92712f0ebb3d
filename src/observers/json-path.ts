/**
 * Count extraction from a JSON answer with a JSONPath expression. `$.rows.length` is accepted
 * (JSONPath has no length operator, yet that is what people write), as is a path that selects
 * an array (its length is the count) or a number.
 */
import { JSONPath } from 'jsonpath-plus';

export type CountExtraction = { ok: true; count: number } | { ok: false; reason: string };

export function extractCount(json: unknown, path: string): CountExtraction {
  const lengthSuffix = /\.length$/.test(path);
  const base = lengthSuffix ? path.replace(/\.length$/, '') : path;
  let value: unknown;
  try {
    const found = JSONPath<unknown[]>({ path: base, json: json as object, wrap: true, eval: false });
    value = found.length === 0 ? undefined : found.length === 1 ? found[0] : found;
  } catch (err) {
    return { ok: false, reason: `invalid JSON path '${path}': ${err instanceof Error ? err.message : String(err)}` };
  }
  if (value === undefined) return { ok: false, reason: `JSON path '${path}' matched nothing` };
  if (Array.isArray(value)) return { ok: true, count: value.length };
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return { ok: true, count: value };
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return { ok: true, count: Number(value) };
  return { ok: false, reason: `JSON path '${path}' gave ${JSON.stringify(value).slice(0, 80)}, not a count` };
}

/** The value at `path` (first match), or undefined. */
export function extractValue(json: unknown, path: string): unknown {
  try {
    const found = JSONPath<unknown[]>({ path, json: json as object, wrap: true, eval: false });
    return found[0];
  } catch {
    return undefined;
  }
}
