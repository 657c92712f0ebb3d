/**
 * Request mutations for payload fuzzing: one mutation changes one dimension of the request (a body
 * value, its type, an added or removed field, the query string, the method, the content type:
 * the IK-18 sweep). Arbitraries are derived from the endpoint's body and its `vary` hints so
 * fast-check can generate them and shrink a failing case to the smallest change.
 */
import fc from 'fast-check';
import type { JsonValue, VaryKind } from '../../scenario/types.js';

export type JsonPath = readonly (string | number)[];

export type Mutation =
  | { readonly kind: 'set'; readonly path: JsonPath; readonly value: JsonValue }
  | { readonly kind: 'remove'; readonly path: JsonPath }
  | { readonly kind: 'add'; readonly path: JsonPath; readonly value: JsonValue }
  | { readonly kind: 'query'; readonly name: string; readonly value: string }
  | { readonly kind: 'method'; readonly method: string }
  | { readonly kind: 'content-type'; readonly value: string };

export interface MutableRequest {
  readonly method: string;
  readonly path: string;
  readonly body: JsonValue | undefined;
}

export interface MutatedRequest {
  method: string;
  path: string;
  body: JsonValue | undefined;
  /** Set when a mutation changed the content type (the body bytes stay the same). */
  contentType?: string;
}

interface Leaf {
  path: JsonPath;
  value: JsonValue;
}

const MAX_DEPTH = 4;

function isObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every scalar (and empty container) in the body, depth-first, with its path. */
export function leaves(body: JsonValue | undefined, path: JsonPath = [], out: Leaf[] = []): Leaf[] {
  if (body === undefined) return out;
  const children: [string | number, JsonValue][] = Array.isArray(body)
    ? body.map((v, i): [number, JsonValue] => [i, v])
    : isObject(body)
      ? Object.entries(body)
      : [];
  if (children.length === 0 || path.length >= MAX_DEPTH) {
    if (path.length > 0) out.push({ path, value: body });
    return out;
  }
  for (const [k, v] of children) leaves(v, [...path, k], out);
  return out;
}

/** Paths of every object in the body (fields may be added there), the root first. */
function objectPaths(body: JsonValue | undefined, path: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  if (!isObject(body) || path.length >= MAX_DEPTH) return out;
  out.push(path);
  for (const [k, v] of Object.entries(body)) objectPaths(v, [...path, k], out);
  return out;
}

export function getAt(body: JsonValue | undefined, path: JsonPath): JsonValue | undefined {
  let cur: JsonValue | undefined = body;
  for (const part of path) {
    if (Array.isArray(cur) && typeof part === 'number') cur = cur[part];
    else if (isObject(cur) && typeof part === 'string') cur = cur[part];
    else return undefined;
  }
  return cur;
}

function valueOfKind(kind: VaryKind): fc.Arbitrary<JsonValue> {
  switch (kind) {
    case 'integer':
      return fc.integer({ min: -1_000_000, max: 1_000_000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    case 'string':
      return fc.string({ maxLength: 12 });
    case 'boolean':
      return fc.boolean();
  }
}

function kindOf(v: JsonValue): VaryKind | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return undefined;
}

/** Values of another JSON type than `v`, smallest first so shrinking lands on `null`. */
function otherType(v: JsonValue): fc.Arbitrary<JsonValue> {
  const all: JsonValue[] = [null, 0, '', true, [], {}];
  const typeName = (x: JsonValue): string => (Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x);
  return fc.constantFrom(...all.filter((x) => typeName(x) !== typeName(v)));
}

const CLASSES = ['abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789'];

/** One character replaced by another of its class (`cus_42` → `cas_42`), or the number moved a little. */
function nearby(v: JsonValue | undefined): fc.Arbitrary<JsonValue> | undefined {
  if (typeof v === 'number') return fc.integer({ min: 1, max: 1000 }).map((d) => v + d);
  if (typeof v === 'boolean') return fc.constant(!v);
  if (typeof v !== 'string' || v === '') return undefined;
  return fc
    .record({ at: fc.nat({ max: v.length - 1 }), shift: fc.integer({ min: 1, max: 25 }) })
    .map(({ at, shift }) => {
      const ch = v.charAt(at);
      const cls = CLASSES.find((c) => c.includes(ch)) ?? CLASSES[0] ?? 'ab';
      const next = cls.charAt((Math.max(0, cls.indexOf(ch)) + shift) % cls.length);
      return `${v.slice(0, at)}${next === ch ? '' : next}${v.slice(at + 1)}`;
    });
}

function splitDotted(field: string): JsonPath {
  return field.split('.');
}

export interface MutationSpace {
  /** Mutate only the body (no query, method or content-type changes). */
  bodyOnly?: boolean;
}

/** One mutation of `req`, derived from its body and the `vary` hints. */
export function mutationArb(
  req: MutableRequest,
  vary: Readonly<Record<string, VaryKind>>,
  space: MutationSpace = {},
): fc.Arbitrary<Mutation> {
  const arbs: fc.Arbitrary<Mutation>[] = [];
  const hinted = Object.entries(vary);
  // With hints, only the named fields get new values of their kind; without, every leaf of its own kind.
  const valueTargets: { path: JsonPath; arb: fc.Arbitrary<JsonValue> }[] =
    hinted.length > 0
      ? hinted.map(([field, kind]) => ({ path: splitDotted(field), arb: valueOfKind(kind) }))
      : leaves(req.body).flatMap((l) => {
          const kind = kindOf(l.value);
          return kind === undefined ? [] : [{ path: l.path, arb: valueOfKind(kind) }];
        });
  for (const t of valueTargets) {
    arbs.push(t.arb.map((value): Mutation => ({ kind: 'set', path: t.path, value })));
    // A value near the original usually passes the target's validation, so the key handling gets judged.
    const near = nearby(getAt(req.body, t.path));
    if (near) {
      const set = near.map((value): Mutation => ({ kind: 'set', path: t.path, value }));
      arbs.push(set, set);
    }
  }
  const all = leaves(req.body);
  if (all.length > 0) {
    arbs.push(
      fc
        .constantFrom(...all)
        .chain((l) => otherType(l.value).map((value): Mutation => ({ kind: 'set', path: l.path, value }))),
    );
    const removable = all.filter((l) => typeof l.path[l.path.length - 1] === 'string');
    if (removable.length > 0)
      arbs.push(fc.constantFrom(...removable).map((l): Mutation => ({ kind: 'remove', path: l.path })));
  }
  const objects = objectPaths(req.body);
  if (objects.length > 0) {
    arbs.push(
      fc
        .record({
          parent: fc.constantFrom(...objects),
          name: fc.stringMatching(/^[a-z][a-z_]{0,7}$/),
          value: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.string({ maxLength: 6 }), fc.boolean()),
        })
        .filter(({ parent, name }) => getAt(req.body, [...parent, name]) === undefined)
        .map(({ parent, name, value }): Mutation => ({ kind: 'add', path: [...parent, name], value })),
    );
  }
  if (space.bodyOnly !== true) {
    arbs.push(
      fc
        .record({ name: fc.stringMatching(/^[a-z]{1,6}$/), value: fc.stringMatching(/^[a-z0-9]{0,6}$/) })
        .map(({ name, value }): Mutation => ({ kind: 'query', name, value })),
    );
    const methods = ['PUT', 'PATCH', 'POST'].filter((m) => m !== req.method.toUpperCase());
    arbs.push(fc.constantFrom(...methods).map((method): Mutation => ({ kind: 'method', method })));
    if (req.body !== undefined) {
      arbs.push(fc.constantFrom('text/plain').map((value): Mutation => ({ kind: 'content-type', value })));
    }
  }
  return fc.oneof(...arbs);
}

/** A case: one to `max` mutations applied together; shrinking removes mutations first. */
export function mutationCaseArb(
  req: MutableRequest,
  vary: Readonly<Record<string, VaryKind>>,
  max = 3,
): fc.Arbitrary<Mutation[]> {
  return fc.array(mutationArb(req, vary), { minLength: 1, maxLength: max });
}

function setAt(body: JsonValue | undefined, path: JsonPath, value: JsonValue | undefined): JsonValue | undefined {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(body) && typeof head === 'number') {
    const copy = [...body];
    const next = setAt(copy[head], rest, value);
    if (next === undefined) copy.splice(head, 1);
    else copy[head] = next;
    return copy;
  }
  if (isObject(body) && typeof head === 'string') {
    const copy: { [key: string]: JsonValue } = { ...body };
    const next = setAt(copy[head], rest, value);
    if (next === undefined) delete copy[head];
    else copy[head] = next;
    return copy;
  }
  // A mutation earlier in the case removed or retyped this parent: nothing left to change.
  return body;
}

function withQuery(path: string, name: string, value: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
}

export function applyMutations(req: MutableRequest, mutations: readonly Mutation[]): MutatedRequest {
  const out: MutatedRequest = { method: req.method, path: req.path, body: req.body };
  for (const m of mutations) {
    switch (m.kind) {
      case 'set':
      case 'add':
        out.body = setAt(out.body, m.path, m.value);
        break;
      case 'remove':
        out.body = setAt(out.body, m.path, undefined);
        break;
      case 'query':
        out.path = withQuery(out.path, m.name, m.value);
        break;
      case 'method':
        out.method = m.method;
        break;
      case 'content-type':
        out.contentType = m.value;
        break;
    }
  }
  return out;
}

/** Whether the mutated request is the original one (a no-op case is not worth a request). */
export function isUnchanged(req: MutableRequest, m: MutatedRequest): boolean {
  return (
    m.method === req.method &&
    m.path === req.path &&
    m.contentType === undefined &&
    JSON.stringify(m.body) === JSON.stringify(req.body)
  );
}

function pathText(path: JsonPath): string {
  return ['body', ...path.map((p) => (typeof p === 'number' ? `[${p}]` : p))].join('.').replace(/\.\[/g, '[');
}

/** `body.customer: "cus_42" → ""`, the way a finding shows a mutation. */
export function describeMutation(req: MutableRequest, m: Mutation): string {
  switch (m.kind) {
    case 'set':
      return `${pathText(m.path)}: ${JSON.stringify(getAt(req.body, m.path))} → ${JSON.stringify(m.value)}`;
    case 'add':
      return `${pathText(m.path)} added: ${JSON.stringify(m.value)}`;
    case 'remove':
      return `${pathText(m.path)} removed (was ${JSON.stringify(getAt(req.body, m.path))})`;
    case 'query':
      return `query string: ${req.path} → ${withQuery(req.path, m.name, m.value)}`;
    case 'method':
      return `method: ${req.method} → ${m.method}`;
    case 'content-type':
      return `content type → ${m.value} (same body bytes)`;
  }
}

/**
 * A single different request for attacks that need "some mismatch": the first numeric body leaf
 * plus one, else the first string leaf with a suffix, else a query parameter.
 */
export function simpleMismatch(req: MutableRequest): Mutation {
  const all = leaves(req.body);
  const num = all.find((l) => typeof l.value === 'number');
  if (num && typeof num.value === 'number') return { kind: 'set', path: num.path, value: num.value + 1 };
  const str = all.find((l) => typeof l.value === 'string');
  if (str && typeof str.value === 'string') return { kind: 'set', path: str.path, value: `${str.value}x` };
  return { kind: 'query', name: 'idem_audit_mismatch', value: '1' };
}

/**
 * Invalid variants of the body, for checks that need a request the target must reject: a numeric
 * field turned into a string (or a string into a number), and a truncated JSON document.
 */
export function invalidBodies(
  body: JsonValue | undefined,
): { label: string; body?: JsonValue; rawBody?: string; describe: string }[] {
  const out: { label: string; body?: JsonValue; rawBody?: string; describe: string }[] = [];
  const all = leaves(body);
  const num = all.find((l) => typeof l.value === 'number');
  const str = all.find((l) => typeof l.value === 'string');
  if (num) {
    out.push({
      label: 'wrong-type',
      body: setAt(body, num.path, 'not-a-number') ?? null,
      describe: `${pathText(num.path)} as a string`,
    });
  } else if (str) {
    out.push({
      label: 'wrong-type',
      body: setAt(body, str.path, 12345) ?? null,
      describe: `${pathText(str.path)} as a number`,
    });
  }
  if (body !== undefined) {
    const text = JSON.stringify(body);
    out.push({
      label: 'malformed-json',
      rawBody: text.slice(0, Math.max(1, text.length - 1)),
      describe: 'truncated JSON',
    });
  }
  return out;
}
