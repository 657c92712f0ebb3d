/**
 * An example value for an OpenAPI schema: the spec's own example where it gives one, else a
 * value built from the schema. Deterministic, so a regenerated scenario does not churn.
 *
 * A drafted request must be accepted by the API as it is, so an object gets the properties the
 * schema requires and the optional ones whose every value the spec gives (examples, defaults);
 * an optional field the draft would have to invent a value for ("string", 1, an enum's first
 * value) is left out, because an invented value is what a real API rejects. Strings honour
 * `enum`, `format`, `pattern` and length bounds. Work is bounded (depth and a node budget): real
 * descriptions nest hundreds of schemas, some of them in cycles.
 */
import fc from 'fast-check';
import type { JsonValue } from '../scenario/types.js';

type Schema = Record<string, unknown>;

const MAX_DEPTH = 6;
/** Schema nodes one example may visit: enough for any real request body, bounded for hostile ones. */
const NODE_BUDGET = 2_000;
/** Values a pattern is sampled for; the most readable one is kept. */
const PATTERN_SAMPLES = 12;
/** Patterns are sampled once per run: real descriptions repeat the same few dozen. */
const patternExamples = new Map<string, string | undefined>();
/** fast-check favours strings that break naive code (`__proto__`, `hasOwnProperty`): not what an example should show. */
const TRICKY = /proto|constructor|hasown|tostring|valueof|__/i;

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

/** The first example a media type, parameter or schema carries (`example`, `examples`), as JSON. */
export function declaredExample(holder: Schema): JsonValue | undefined {
  if ('example' in holder) return asJson(holder['example']);
  const examples = holder['examples'];
  if (Array.isArray(examples) && examples.length > 0) return asJson(examples[0]);
  if (isRecord(examples)) {
    for (const ex of Object.values(examples)) if (isRecord(ex) && 'value' in ex) return asJson(ex['value']);
  }
  return undefined;
}

interface Walk {
  budget: number;
  seen: Set<unknown>;
  /** Values made up rather than taken from the spec (a type's placeholder, an enum's first value, a pattern's sample). */
  invented: number;
  /** Values taken from the spec (examples, defaults). */
  given: number;
}

export function exampleFor(schema: unknown): JsonValue {
  return example(schema, 0, { budget: NODE_BUDGET, seen: new Set(), invented: 0, given: 0 });
}

/**
 * `schema`'s example when the spec gives every value of it (examples and defaults, at its level
 * or in every field it drafts), else undefined. Optional properties are drafted only then.
 */
export function givenExample(schema: unknown): JsonValue | undefined {
  const walk: Walk = { budget: NODE_BUDGET, seen: new Set(), invented: 0, given: 0 };
  const value = example(schema, 0, walk);
  return walk.invented === 0 && walk.given > 0 ? value : undefined;
}

/** Answers of mayHaveGivenValue per schema object: shared subschemas are asked about many times. */
const mayHaveGiven = new WeakMap<object, boolean>();

/**
 * Whether an example or default appears anywhere in `schema`: a cheap test that spares drafting
 * an optional property only to drop it. Each subschema is answered once; a cycle counts as none.
 */
function mayHaveGivenValue(schema: unknown, depth = 0): boolean {
  if (!isRecord(schema) || depth > MAX_DEPTH) return false;
  const known = mayHaveGiven.get(schema);
  if (known !== undefined) return known;
  mayHaveGiven.set(schema, false);
  let given = declaredExample(schema) !== undefined || 'default' in schema;
  for (const key of ['allOf', 'oneOf', 'anyOf', 'items', 'properties'] as const) {
    if (given) break;
    const v = schema[key];
    const children = Array.isArray(v) ? v : key === 'properties' && isRecord(v) ? Object.values(v) : [v];
    given = children.some((c) => mayHaveGivenValue(c, depth + 1));
  }
  mayHaveGiven.set(schema, given);
  return given;
}

function example(schema: unknown, depth: number, walk: Walk): JsonValue {
  if (!isRecord(schema) || depth > MAX_DEPTH || walk.seen.has(schema) || walk.budget <= 0) {
    walk.invented += 1;
    return null;
  }
  walk.budget -= 1;
  const own = declaredExample(schema) ?? ('default' in schema ? asJson(schema['default']) : undefined);
  if (own !== undefined) {
    walk.given += 1;
    return own;
  }
  walk.invented += 1;
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return asJson(schema['enum'][0]) ?? null;
  // Composites are made of their parts: whether they were invented is the parts' count, not this node's.
  walk.invented -= 1;
  walk.seen.add(schema);
  try {
    return fromType(schema, depth, walk);
  } finally {
    walk.seen.delete(schema);
  }
}

function fromType(schema: Schema, depth: number, walk: Walk): JsonValue {
  for (const combo of ['allOf', 'oneOf', 'anyOf'] as const) {
    const parts = schema[combo];
    if (!Array.isArray(parts) || parts.length === 0) continue;
    if (combo !== 'allOf') return example(parts[0], depth + 1, walk);
    const merged: Record<string, JsonValue> = {};
    for (const p of parts) {
      const v = example(p, depth + 1, walk);
      if (isRecord(v)) Object.assign(merged, v);
    }
    return merged;
  }
  const declared: unknown = schema['type'];
  const type: unknown = Array.isArray(declared) ? (declared as unknown[]).find((t) => t !== 'null') : declared;
  if (type === 'object' || (type === undefined && isRecord(schema['properties'])))
    return objectExample(schema, depth, walk);
  if (type === 'array') {
    const item = example(schema['items'], depth + 1, walk);
    return item === null ? [] : [item];
  }
  walk.invented += 1;
  switch (type) {
    case 'integer':
      return typeof schema['minimum'] === 'number' ? Math.ceil(schema['minimum']) : 1;
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 1.5;
    case 'boolean':
      return true;
    case 'string':
      return stringExample(schema);
    default:
      return null;
  }
}

/** The names `schema` lists as required (empty when it lists none). */
export function requiredNames(schema: unknown): Set<string> {
  const req = isRecord(schema) ? schema['required'] : undefined;
  return new Set(Array.isArray(req) ? req.filter((r): r is string => typeof r === 'string') : []);
}

function objectExample(schema: Schema, depth: number, walk: Walk): JsonValue {
  const out: Record<string, JsonValue> = {};
  const props = isRecord(schema['properties']) ? schema['properties'] : {};
  const required = requiredNames(schema);
  for (const [name, prop] of Object.entries(props)) {
    // A client never sends readOnly fields (ids, timestamps); including them would be rejected.
    if (isRecord(prop) && prop['readOnly'] === true) continue;
    if (!required.has(name) && !mayHaveGivenValue(prop)) continue;
    const [invented, given] = [walk.invented, walk.given];
    const value = example(prop, depth + 1, walk);
    if (required.has(name)) out[name] = value;
    else if (walk.invented === invented && walk.given > given) out[name] = value;
    else [walk.invented, walk.given] = [invented, given];
  }
  return out;
}

function stringExample(schema: Schema): string {
  const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
  const max = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : Infinity;
  if (typeof schema['pattern'] === 'string') {
    const matching = stringMatching(schema['pattern'], (s) => s.length >= min && s.length <= max);
    if (matching !== undefined) return matching;
  }
  return fitLength(formatExample(schema['format']), min, max);
}

function formatExample(format: unknown): string {
  switch (format) {
    case 'date-time':
      return '2024-01-01T00:00:00Z';
    case 'date':
      return '2024-01-01';
    case 'email':
      return 'user@example.com';
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'uri':
    case 'url':
      return 'https://example.com';
    default:
      return 'string';
  }
}

function fitLength(s: string, min: number, max: number): string {
  const padded = s.length >= min ? s : s + 'x'.repeat(Math.min(min, 10_000) - s.length);
  return Number.isFinite(max) && padded.length > max ? padded.slice(0, Math.max(0, max)) : padded;
}

/**
 * A short, readable string matching `pattern` (seeded, so drafts are stable), or undefined when
 * the expression is not one fast-check can generate from (lookarounds, invalid syntax).
 */
export function stringMatching(pattern: string, accept: (s: string) => boolean = () => true): string | undefined {
  const cached = patternExamples.get(pattern);
  if (cached !== undefined && accept(cached)) return cached;
  const found = sampleMatching(pattern, accept);
  if (found !== undefined && !patternExamples.has(pattern)) patternExamples.set(pattern, found);
  return found;
}

function sampleMatching(pattern: string, accept: (s: string) => boolean): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return undefined;
  }
  let samples: string[];
  try {
    samples = fc.sample(fc.stringMatching(re, { size: 'xsmall' }), { seed: 1, numRuns: PATTERN_SAMPLES });
  } catch {
    return undefined;
  }
  const candidates = samples.filter((s) => accept(s) && !TRICKY.test(s) && /^[\x21-\x7e]+$/.test(s));
  const plain = candidates.filter((s) => /^[A-Za-z0-9._~-]+$/.test(s));
  return shortest(plain) ?? shortest(candidates);
}

function shortest(values: readonly string[]): string | undefined {
  return [...values].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))[0];
}
