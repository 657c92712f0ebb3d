/**
 * Request mutations for payload fuzzing: one mutation changes one dimension of the request (a body
 * value, its type, an added or removed field, the query string, the method, the content type:
 * the IK-18 sweep). Every body kind has its own: JSON values, types and members; form fields (a
 * value changed, a field dropped or added); text (a character changed, the text cut short).
 * Arbitraries are derived from the endpoint's body and its `vary` hints so fast-check can
 * generate them and shrink a failing case to the smallest change.
 *
 * Bodies here are templates: a value holding a `{{placeholder}}` is replaced whole or removed,
 * never edited inside (a changed placeholder would be sent literally).
 */
import fc from 'fast-check';
import { contentTypeOf, encodeForm, encodeFormComponent, setFormField } from '../../scenario/request-body.js';
import type { FormBody, FormField, JsonValue, KeyPlacement, RequestBody, VaryKind } from '../../scenario/types.js';

export type JsonPath = readonly (string | number)[];

export type Mutation =
  | { readonly kind: 'set'; readonly path: JsonPath; readonly value: JsonValue }
  | { readonly kind: 'remove'; readonly path: JsonPath }
  | { readonly kind: 'add'; readonly path: JsonPath; readonly value: JsonValue }
  | { readonly kind: 'form-set'; readonly name: string; readonly value: string }
  | { readonly kind: 'form-remove'; readonly name: string }
  | { readonly kind: 'form-add'; readonly name: string; readonly value: string }
  | { readonly kind: 'text-char'; readonly at: number; readonly char: string }
  | { readonly kind: 'text-truncate'; readonly length: number }
  | { readonly kind: 'query'; readonly name: string; readonly value: string }
  | { readonly kind: 'method'; readonly method: string }
  | { readonly kind: 'content-type'; readonly value: string };

export interface MutableRequest {
  readonly method: string;
  readonly path: string;
  readonly body: RequestBody | undefined;
}

export interface MutatedRequest {
  method: string;
  path: string;
  body: RequestBody | undefined;
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
  if (typeof v !== 'string' || v === '' || isTemplate(v)) return undefined;
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

function isTemplate(v: string): boolean {
  return v.includes('{{');
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
  const body = req.body;
  const arbs: fc.Arbitrary<Mutation>[] =
    body?.kind === 'json'
      ? jsonMutations(body.value, vary)
      : body?.kind === 'form'
        ? formMutations(body, vary)
        : body?.kind === 'text'
          ? textMutations(body.text)
          : [];
  if (space.bodyOnly !== true) {
    arbs.push(
      fc
        .record({ name: fc.stringMatching(/^[a-z]{1,6}$/), value: fc.stringMatching(/^[a-z0-9]{0,6}$/) })
        .map(({ name, value }): Mutation => ({ kind: 'query', name, value })),
    );
    const methods = ['PUT', 'PATCH', 'POST'].filter((m) => m !== req.method.toUpperCase());
    arbs.push(fc.constantFrom(...methods).map((method): Mutation => ({ kind: 'method', method })));
    if (body !== undefined) {
      const other = contentTypeOf(body).toLowerCase().startsWith('text/plain')
        ? 'application/octet-stream'
        : 'text/plain';
      arbs.push(fc.constantFrom(other).map((value): Mutation => ({ kind: 'content-type', value })));
    }
  }
  return fc.oneof(...arbs);
}

function jsonMutations(value: JsonValue, vary: Readonly<Record<string, VaryKind>>): fc.Arbitrary<Mutation>[] {
  const arbs: fc.Arbitrary<Mutation>[] = [];
  const hinted = Object.entries(vary);
  // With hints, only the named fields get new values of their kind; without, every leaf of its own kind.
  const valueTargets: { path: JsonPath; arb: fc.Arbitrary<JsonValue> }[] =
    hinted.length > 0
      ? hinted.map(([field, kind]) => ({ path: splitDotted(field), arb: valueOfKind(kind) }))
      : leaves(value).flatMap((l) => {
          const kind = kindOf(l.value);
          return kind === undefined ? [] : [{ path: l.path, arb: valueOfKind(kind) }];
        });
  for (const t of valueTargets) {
    arbs.push(t.arb.map((v): Mutation => ({ kind: 'set', path: t.path, value: v })));
    // A value near the original usually passes the target's validation, so the key handling gets judged.
    const near = nearby(getAt(value, t.path));
    if (near) {
      const set = near.map((v): Mutation => ({ kind: 'set', path: t.path, value: v }));
      arbs.push(set, set);
    }
  }
  const all = leaves(value);
  if (all.length > 0) {
    arbs.push(
      fc
        .constantFrom(...all)
        .chain((l) => otherType(l.value).map((v): Mutation => ({ kind: 'set', path: l.path, value: v }))),
    );
    const removable = all.filter((l) => typeof l.path[l.path.length - 1] === 'string');
    if (removable.length > 0)
      arbs.push(fc.constantFrom(...removable).map((l): Mutation => ({ kind: 'remove', path: l.path })));
  }
  const objects = objectPaths(value);
  if (objects.length > 0) {
    arbs.push(
      fc
        .record({
          parent: fc.constantFrom(...objects),
          name: fc.stringMatching(/^[a-z][a-z_]{0,7}$/),
          value: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.string({ maxLength: 6 }), fc.boolean()),
        })
        .filter(({ parent, name }) => getAt(value, [...parent, name]) === undefined)
        .map(({ parent, name, value: v }): Mutation => ({ kind: 'add', path: [...parent, name], value: v })),
    );
  }
  return arbs;
}

/** A generated scalar as a form sends it. */
function formText(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The kind of value a form field holds, judged from its text (forms carry strings only). */
function formKindOf(v: string): VaryKind | undefined {
  if (isTemplate(v)) return undefined;
  if (/^-?\d{1,15}$/.test(v)) return 'integer';
  if (/^-?\d+\.\d+$/.test(v)) return 'number';
  if (v === 'true' || v === 'false') return 'boolean';
  return 'string';
}

function formMutations(body: FormBody, vary: Readonly<Record<string, VaryKind>>): fc.Arbitrary<Mutation>[] {
  const arbs: fc.Arbitrary<Mutation>[] = [];
  const fields = body.fields;
  const valueOf = (name: string): string | undefined => fields.find(([k]) => k === name)?.[1];
  const hinted = Object.entries(vary);
  const targets: { name: string; kind: VaryKind }[] =
    hinted.length > 0
      ? hinted.map(([name, kind]) => ({ name, kind }))
      : fields.flatMap(([name, v]) => {
          const kind = formKindOf(v);
          return kind === undefined ? [] : [{ name, kind }];
        });
  for (const t of targets) {
    arbs.push(valueOfKind(t.kind).map((v): Mutation => ({ kind: 'form-set', name: t.name, value: formText(v) })));
    const current = valueOf(t.name);
    const near =
      current === undefined ? undefined : nearby(formKindOf(current) === 'integer' ? Number(current) : current);
    if (near) {
      const set = near.map((v): Mutation => ({ kind: 'form-set', name: t.name, value: formText(v) }));
      arbs.push(set, set);
    }
  }
  if (fields.length > 0) {
    const names = [...new Set(fields.map(([k]) => k))];
    arbs.push(fc.constantFrom(...names).map((name): Mutation => ({ kind: 'form-remove', name })));
  }
  arbs.push(
    fc
      .record({
        name: fc.stringMatching(/^[a-z][a-z_]{0,7}$/),
        value: fc.oneof(fc.integer({ min: 0, max: 100 }).map(String), fc.stringMatching(/^[a-z0-9]{0,6}$/)),
      })
      .filter(({ name }) => valueOf(name) === undefined)
      .map(({ name, value }): Mutation => ({ kind: 'form-add', name, value })),
  );
  return arbs;
}

/** Positions of the text outside its `{{placeholders}}`. */
function editablePositions(text: string): number[] {
  const blocked = new Set<number>();
  for (const m of text.matchAll(/\{\{[^}]*\}\}/g)) for (let i = m.index; i < m.index + m[0].length; i++) blocked.add(i);
  return [...text].map((_, i) => i).filter((i) => !blocked.has(i) && i < text.length);
}

function textMutations(text: string): fc.Arbitrary<Mutation>[] {
  const arbs: fc.Arbitrary<Mutation>[] = [];
  const positions = editablePositions(text);
  if (positions.length > 0) {
    arbs.push(
      fc
        .record({ at: fc.constantFrom(...positions), shift: fc.integer({ min: 1, max: 25 }) })
        .map(({ at, shift }): Mutation => {
          const ch = text.charAt(at);
          const cls = CLASSES.find((c) => c.includes(ch)) ?? CLASSES[0] ?? 'ab';
          const next = cls.charAt((Math.max(0, cls.indexOf(ch)) + shift) % cls.length);
          return { kind: 'text-char', at, char: next === ch ? cls.charAt((cls.indexOf(next) + 1) % cls.length) : next };
        }),
    );
  }
  if (text.length > 0) {
    // Cuts that keep placeholders whole: a cut inside one would send it half-written.
    const cuts = [0, ...positions].filter((n) => n < text.length);
    arbs.push(fc.constantFrom(...cuts).map((length): Mutation => ({ kind: 'text-truncate', length })));
  }
  return arbs;
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
    const body = out.body;
    switch (m.kind) {
      case 'set':
      case 'add':
        if (body?.kind === 'json') out.body = { ...body, value: setAt(body.value, m.path, m.value) ?? null };
        break;
      case 'remove':
        if (body?.kind === 'json') out.body = { ...body, value: setAt(body.value, m.path, undefined) ?? null };
        break;
      case 'form-set':
      case 'form-add':
        if (body?.kind === 'form') out.body = setFormField(body, m.name, m.value);
        break;
      case 'form-remove':
        if (body?.kind === 'form') out.body = setFormField(body, m.name, undefined);
        break;
      case 'text-char':
        if (body?.kind === 'text' && m.at < body.text.length)
          out.body = { ...body, text: `${body.text.slice(0, m.at)}${m.char}${body.text.slice(m.at + 1)}` };
        break;
      case 'text-truncate':
        if (body?.kind === 'text') out.body = { ...body, text: body.text.slice(0, m.length) };
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

function jsonOf(req: MutableRequest): JsonValue | undefined {
  return req.body?.kind === 'json' ? req.body.value : undefined;
}

function formValue(req: MutableRequest, name: string): string | undefined {
  return req.body?.kind === 'form' ? req.body.fields.find(([k]) => k === name)?.[1] : undefined;
}

/** `body.customer: "cus_42" → ""`, the way a finding shows a mutation. */
export function describeMutation(req: MutableRequest, m: Mutation): string {
  switch (m.kind) {
    case 'set':
      return `${pathText(m.path)}: ${JSON.stringify(getAt(jsonOf(req), m.path))} → ${JSON.stringify(m.value)}`;
    case 'add':
      return `${pathText(m.path)} added: ${JSON.stringify(m.value)}`;
    case 'remove':
      return `${pathText(m.path)} removed (was ${JSON.stringify(getAt(jsonOf(req), m.path))})`;
    case 'form-set':
      return `form ${m.name}: ${JSON.stringify(formValue(req, m.name))} → ${JSON.stringify(m.value)}`;
    case 'form-add':
      return `form ${m.name} added: ${JSON.stringify(m.value)}`;
    case 'form-remove':
      return `form ${m.name} removed (was ${JSON.stringify(formValue(req, m.name))})`;
    case 'text-char': {
      const text = req.body?.kind === 'text' ? req.body.text : '';
      return `text character ${m.at}: ${JSON.stringify(text.charAt(m.at))} → ${JSON.stringify(m.char)}`;
    }
    case 'text-truncate': {
      const text = req.body?.kind === 'text' ? req.body.text : '';
      return `text cut to its first ${m.length} of ${text.length} characters`;
    }
    case 'query':
      return `query string: ${req.path} → ${withQuery(req.path, m.name, m.value)}`;
    case 'method':
      return `method: ${req.method} → ${m.method}`;
    case 'content-type':
      return `content type → ${m.value} (same body bytes)`;
  }
}

/**
 * A single different request for attacks that need "some mismatch": the first numeric value plus
 * one, else the first plain string value with a suffix (a JSON leaf or a form field), else a text
 * body's last character changed, else a query parameter.
 */
export function simpleMismatch(req: MutableRequest): Mutation {
  const body = req.body;
  if (body?.kind === 'json') {
    const all = leaves(body.value);
    const num = all.find((l) => typeof l.value === 'number');
    if (num && typeof num.value === 'number') return { kind: 'set', path: num.path, value: num.value + 1 };
    const str = all.find((l) => typeof l.value === 'string' && !isTemplate(l.value));
    if (str && typeof str.value === 'string') return { kind: 'set', path: str.path, value: `${str.value}x` };
  }
  if (body?.kind === 'form') {
    const num = body.fields.find(([, v]) => formKindOf(v) === 'integer');
    if (num) return { kind: 'form-set', name: num[0], value: String(Number(num[1]) + 1) };
    const str = body.fields.find(([, v]) => !isTemplate(v));
    if (str) return { kind: 'form-set', name: str[0], value: `${str[1]}x` };
  }
  if (body?.kind === 'text') {
    const at = editablePositions(body.text).at(-1);
    if (at !== undefined) {
      const ch = body.text.charAt(at);
      return { kind: 'text-char', at, char: ch === 'x' ? 'y' : 'x' };
    }
  }
  return { kind: 'query', name: 'idem_audit_mismatch', value: '1' };
}

export interface InvalidVariant {
  label: string;
  /** The invalid body (its strings are templates, like the endpoint's). */
  body?: RequestBody;
  /** Or the bytes, derived from the valid body as rendered with the key in place. */
  bodyText?: (rendered: RequestBody) => string;
  describe: string;
}

/**
 * Invalid variants of the body, for checks that need a request the target must reject: a field of
 * the wrong type (JSON: a number as a string or the reverse; form: a numeric field set to `abc`),
 * and the body cut short (JSON: its last character; form: the last field's value cut in half,
 * the key's field kept whole; text: its second half). The key keeps its place in each.
 */
export function invalidBodies(body: RequestBody | undefined, keyIn?: KeyPlacement): InvalidVariant[] {
  if (body === undefined) return [];
  switch (body.kind) {
    case 'json':
      return invalidJson(body.value, body);
    case 'form':
      return invalidForm(body, keyIn?.in === 'form' ? keyIn.name : undefined);
    case 'text':
      return body.text.length < 2
        ? []
        : [
            {
              label: 'truncated',
              bodyText: (r) => (r.kind === 'text' ? r.text.slice(0, Math.ceil(r.text.length / 2)) : ''),
              describe: 'the text cut in half',
            },
          ];
  }
}

function invalidJson(value: JsonValue, body: RequestBody & { kind: 'json' }): InvalidVariant[] {
  const out: InvalidVariant[] = [];
  const all = leaves(value);
  const num = all.find((l) => typeof l.value === 'number');
  const str = all.find((l) => typeof l.value === 'string');
  if (num) {
    out.push({
      label: 'wrong-type',
      body: { ...body, value: setAt(value, num.path, 'not-a-number') ?? null },
      describe: `${pathText(num.path)} as a string`,
    });
  } else if (str) {
    out.push({
      label: 'wrong-type',
      body: { ...body, value: setAt(value, str.path, 12345) ?? null },
      describe: `${pathText(str.path)} as a number`,
    });
  }
  out.push({
    label: 'malformed-json',
    bodyText: (r) => {
      const text = r.kind === 'json' ? JSON.stringify(r.value) : '';
      return text.slice(0, Math.max(1, text.length - 1));
    },
    describe: 'truncated JSON',
  });
  return out;
}

function invalidForm(body: FormBody, keyField: string | undefined): InvalidVariant[] {
  const out: InvalidVariant[] = [];
  const num = body.fields.find(([, v]) => formKindOf(v) === 'integer' || formKindOf(v) === 'number');
  if (num) {
    out.push({
      label: 'wrong-type',
      body: setFormField(body, num[0], 'abc'),
      describe: `form ${num[0]}=abc`,
    });
  }
  if (body.fields.length > 0) {
    out.push({
      label: 'truncated',
      bodyText: (r) => {
        if (r.kind !== 'form') return '';
        // The key's field first, so cutting the end never cuts the key.
        const fields: FormField[] = [
          ...r.fields.filter(([k]) => k === keyField),
          ...r.fields.filter(([k]) => k !== keyField),
        ];
        const text = encodeForm(fields);
        const lastValue = encodeFormComponent(fields.at(-1)?.[1] ?? '');
        return text.slice(0, text.length - Math.max(1, Math.ceil(lastValue.length / 2)));
      },
      describe: 'the form cut short in its last value',
    });
  }
  return out;
}
