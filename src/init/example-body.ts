/**
 * An example value for an OpenAPI schema: the spec's own example where it gives one, else a
 * value built from the schema. Deterministic, so a regenerated scenario does not churn.
 */
import type { JsonValue } from '../scenario/types.js';

type Schema = Record<string, unknown>;

const MAX_DEPTH = 6;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asJson(v: unknown): JsonValue | undefined {
  // Dereferenced specs can hold cycles and non-JSON values; a round trip keeps only plain JSON.
  try {
    const text = JSON.stringify(v);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}

/** The first example a media type or schema carries (`example`, `examples`), as JSON. */
export function declaredExample(holder: Schema): JsonValue | undefined {
  if ('example' in holder) return asJson(holder['example']);
  const examples = holder['examples'];
  if (Array.isArray(examples) && examples.length > 0) return asJson(examples[0]);
  if (isRecord(examples)) {
    for (const ex of Object.values(examples)) if (isRecord(ex) && 'value' in ex) return asJson(ex['value']);
  }
  return undefined;
}

export function exampleFor(schema: unknown, depth = 0, seen: Set<unknown> = new Set()): JsonValue {
  if (!isRecord(schema) || depth > MAX_DEPTH || seen.has(schema)) return null;
  const own = declaredExample(schema);
  if (own !== undefined) return own;
  if ('default' in schema) {
    const d = asJson(schema['default']);
    if (d !== undefined) return d;
  }
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return asJson(schema['enum'][0]) ?? null;
  const next = new Set(seen).add(schema);
  for (const combo of ['allOf', 'oneOf', 'anyOf'] as const) {
    const parts = schema[combo];
    if (!Array.isArray(parts) || parts.length === 0) continue;
    if (combo !== 'allOf') return exampleFor(parts[0], depth + 1, next);
    const merged: Record<string, JsonValue> = {};
    for (const p of parts) {
      const v = exampleFor(p, depth + 1, next);
      if (isRecord(v)) Object.assign(merged, v);
    }
    return merged;
  }
  const declared: unknown = schema['type'];
  const type: unknown = Array.isArray(declared) ? (declared as unknown[])[0] : declared;
  switch (type) {
    case 'object':
      return objectExample(schema, depth, next);
    case 'array': {
      const item = exampleFor(schema['items'], depth + 1, next);
      return item === null ? [] : [item];
    }
    case 'integer':
      return typeof schema['minimum'] === 'number' ? Math.ceil(schema['minimum']) : 1;
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 1.5;
    case 'boolean':
      return true;
    case 'string':
      return stringExample(schema);
    default:
      return isRecord(schema['properties']) ? objectExample(schema, depth, next) : null;
  }
}

function objectExample(schema: Schema, depth: number, seen: Set<unknown>): JsonValue {
  const out: Record<string, JsonValue> = {};
  const props = isRecord(schema['properties']) ? schema['properties'] : {};
  for (const [name, prop] of Object.entries(props)) {
    // A client never sends readOnly fields (ids, timestamps); including them would be rejected.
    if (isRecord(prop) && prop['readOnly'] === true) continue;
    out[name] = exampleFor(prop, depth + 1, seen);
  }
  return out;
}

function stringExample(schema: Schema): string {
  switch (schema['format']) {
    case 'date-time':
      return '2024-01-01T00:00:00Z';
    case 'date':
      return '2024-01-01';
    case 'email':
      return 'user@example.com';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'uri':
      return 'https://example.com';
    default:
      return 'string';
  }
}
