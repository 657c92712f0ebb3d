/**
 * The parts of one operation's request a draft can take from the spec alone: the body (JSON, form
 * or text), where the idempotency key travels and whether the spec requires it, the required
 * header and query parameters, and example values for path parameters. Values that only another
 * operation can provide (an id to act on) are flows.ts's job.
 */
import type { JsonValue } from '../scenario/types.js';
import type { DraftBody, DraftKey, DraftKeyPlacement } from './draft.js';
import { declaredExample, exampleFor, givenExample, isRecord, requiredNames } from './example-body.js';
import { asArray, pathParamNames, type SpecOperation } from './spec-operations.js';

export interface RequestParts {
  body: DraftBody | undefined;
  /** Properties of the body's object schema, for fields a link fills. */
  bodyProperties: ReadonlySet<string>;
  key: DraftKey;
  /** Required header parameters other than the key and credentials, with example values. */
  headers: Record<string, string>;
  /** Required query parameters other than the key, with example values. */
  query: [name: string, value: string][];
  /** Example values of the path parameters; undefined where the spec gives nothing to go on. */
  pathValues: ReadonlyMap<string, string | undefined>;
  /** What the reviewer must know about these values. */
  notes: string[];
}

/** Header names that carry an idempotency key by convention (Idempotency-Key, PayPal-Request-Id, …). */
const KEY_HEADER = /^(x-)?(idempotency|idempotent)[-_]?(key|token|id)$|^paypal-request-id$/i;
/** Other header names carry the key only where their description says so (X-Request-Id, "idempotency"). */
const KEY_LIKE_HEADER = /(^|[-_])(key|token|id)$/i;
const KEY_FIELD = /^idempoten(cy|t)[-_]?(key|token)$/i;
/** Headers a scenario sets elsewhere (the body kind, the engine, the credentials). */
const MANAGED_HEADERS = new Set(['content-type', 'content-length', 'accept', 'authorization', 'cookie', 'host']);

const JSON_MEDIA = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const FORM_MEDIA = /^application\/x-www-form-urlencoded\s*(;|$)/i;
const TEXT_MEDIA = /^(text\/[\w.+-]+|application\/([\w.+-]+\+)?xml)\s*(;|$)/i;

/** The parts, or why the operation cannot be drafted. */
export function requestParts(
  o: SpecOperation,
  credentialHeaders: ReadonlySet<string>,
): RequestParts | { skip: string } {
  const chosen = chooseBody(o);
  if (chosen !== undefined && 'skip' in chosen) return chosen;
  const key = keyOf(o, chosen);
  const body = withoutKeyField(chosen?.body, key.placement);
  const headers: Record<string, string> = {};
  const query: [string, string][] = [];
  const pathValues = new Map<string, string | undefined>();
  for (const name of pathParamNames(o.path)) {
    const p = o.params.find((x) => x['in'] === 'path' && x['name'] === name);
    pathValues.set(name, p === undefined ? undefined : givenValue(p));
  }
  for (const p of o.params) {
    const name = p['name'];
    if (typeof name !== 'string' || p['required'] !== true || isKeyParam(p, key.placement)) continue;
    if (p['in'] === 'header') {
      if (MANAGED_HEADERS.has(name.toLowerCase()) || credentialHeaders.has(name.toLowerCase())) continue;
      const value = givenValue(p) ?? text(exampleFor(p['schema'] ?? p));
      if (!/[\r\n]/.test(value)) headers[name] = value;
    } else if (p['in'] === 'query') {
      query.push([name, givenValue(p) ?? text(exampleFor(p['schema'] ?? p))]);
    }
  }
  // The spec's values are data, never templates: its own `{{DEVICE_ID}}` placeholders (Square's
  // examples have them) would be refused as unknown variables, or worse, rendered.
  const literal = new Literal();
  const parts: RequestParts = {
    body: literal.body(body),
    bodyProperties: chosen?.properties ?? new Set(),
    key,
    headers: Object.fromEntries(Object.entries(headers).map(([n, v]) => [n, literal.text(v)])),
    query: query.map(([n, v]) => [n, literal.text(v)]),
    pathValues: new Map([...pathValues].map(([n, v]) => [n, v === undefined ? undefined : literal.text(v)])),
    notes: [],
  };
  if (literal.changed)
    parts.notes.push("the spec's example values hold {{…}} placeholders (written as { {…} } here): put real values in");
  return parts;
}

function text(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * A parameter's value when the spec gives one to go on (an example, default, enum, pattern or
 * format, or a number): an invented "string" for an id would only be sent to get a 404.
 */
export function givenValue(p: Record<string, unknown>): string | undefined {
  const own = declaredExample(p);
  if (own !== undefined && own !== null) return text(own);
  const schema = isRecord(p['schema']) ? p['schema'] : p;
  const type = schema['type'];
  const known =
    givenExample(schema) !== undefined ||
    Array.isArray(schema['enum']) ||
    typeof schema['pattern'] === 'string' ||
    ['uuid', 'date', 'date-time', 'email'].includes(String(schema['format'])) ||
    type === 'integer' ||
    type === 'number' ||
    type === 'boolean';
  return known ? text(exampleFor(schema)) : undefined;
}

interface ChosenBody {
  body: DraftBody;
  /** The top-level properties of the body schema and which of them are required. */
  properties: ReadonlySet<string>;
  required: ReadonlySet<string>;
}

function chooseBody(o: SpecOperation): ChosenBody | { skip: string } | undefined {
  const rb = o.op['requestBody'];
  if (isRecord(rb)) {
    const content = isRecord(rb['content']) ? rb['content'] : {};
    const types = Object.keys(content);
    if (types.length === 0) return undefined;
    const json = types.find((t) => JSON_MEDIA.test(t));
    const form = types.find((t) => FORM_MEDIA.test(t));
    if (json !== undefined) return jsonBody(content[json]);
    if (form !== undefined) return formBody(content[form], form);
    for (const t of types.filter((x) => TEXT_MEDIA.test(x))) {
      const media = content[t];
      const example = isRecord(media) ? declaredExample(media) : undefined;
      if (typeof example === 'string')
        return { body: { kind: 'text', text: example, contentType: t }, properties: new Set(), required: new Set() };
    }
    return { skip: `request body is ${types.join(' or ')}: not drafted` };
  }
  // Swagger 2: one `in: body` parameter, or `in: formData` parameters.
  const bodyParam = o.params.find((p) => p['in'] === 'body');
  if (bodyParam !== undefined) return jsonBody({ schema: bodyParam['schema'] });
  const formParams = o.params.filter((p) => p['in'] === 'formData');
  if (formParams.length === 0) return undefined;
  if (formParams.some((p) => p['type'] === 'file')) return { skip: 'request body is multipart/form-data: not drafted' };
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of formParams) {
    if (typeof p['name'] !== 'string') continue;
    properties[p['name']] = p;
    if (p['required'] === true) required.push(p['name']);
  }
  return formBody({ schema: { type: 'object', properties, required } }, 'application/x-www-form-urlencoded');
}

function jsonBody(media: unknown): ChosenBody {
  const m = isRecord(media) ? media : {};
  const value = declaredExample(m) ?? exampleFor(m['schema']);
  const { properties, required } = objectShape(m['schema']);
  return { body: { kind: 'json', value }, properties, required };
}

function formBody(media: unknown, type: string): ChosenBody | { skip: string } {
  const m = isRecord(media) ? media : {};
  const value = declaredExample(m) ?? exampleFor(m['schema']);
  if (!isRecord(value)) return { skip: `${type} body whose schema is not an object: not drafted` };
  const { properties, required } = objectShape(m['schema']);
  return { body: { kind: 'form', value: value }, properties, required };
}

/** Top-level property names of an object schema (allOf parts merged) and the required ones. */
function objectShape(schema: unknown): { properties: Set<string>; required: Set<string> } {
  const properties = new Set<string>();
  const required = new Set<string>();
  const visit = (s: unknown, depth: number): void => {
    if (!isRecord(s) || depth > 4) return;
    if (isRecord(s['properties'])) for (const name of Object.keys(s['properties'])) properties.add(name);
    for (const r of requiredNames(s)) required.add(r);
    for (const part of asArray(s['allOf'])) visit(part, depth + 1);
  };
  visit(schema, 0);
  return { properties, required };
}

function keyOf(o: SpecOperation, body: ChosenBody | undefined): DraftKey {
  const header =
    o.params.find((p) => p['in'] === 'header' && typeof p['name'] === 'string' && KEY_HEADER.test(p['name'])) ??
    o.params.find(
      (p) =>
        p['in'] === 'header' &&
        typeof p['name'] === 'string' &&
        KEY_LIKE_HEADER.test(p['name']) &&
        typeof p['description'] === 'string' &&
        /idempot/i.test(p['description']),
    );
  if (header !== undefined)
    return { placement: { in: 'header', name: String(header['name']) }, required: header['required'] === true };
  if (body !== undefined && body.body.kind !== 'text') {
    const field = [...body.properties].find((name) => KEY_FIELD.test(name));
    if (field !== undefined)
      return {
        placement: body.body.kind === 'json' ? { in: 'body', field } : { in: 'form', field },
        required: body.required.has(field),
      };
  }
  const query = o.params.find((p) => p['in'] === 'query' && typeof p['name'] === 'string' && KEY_FIELD.test(p['name']));
  if (query !== undefined)
    return { placement: { in: 'query', name: String(query['name']) }, required: query['required'] === true };
  return { placement: undefined, required: false };
}

function isKeyParam(p: Record<string, unknown>, placement: DraftKeyPlacement | undefined): boolean {
  if (placement === undefined) return false;
  return (
    (placement.in === 'header' &&
      p['in'] === 'header' &&
      String(p['name']).toLowerCase() === placement.name.toLowerCase()) ||
    (placement.in === 'query' && p['in'] === 'query' && p['name'] === placement.name)
  );
}

/** The key travels in its field: a drafted value for it would only mislead (the engine sets it per operation). */
function withoutKeyField(body: DraftBody | undefined, placement: DraftKeyPlacement | undefined): DraftBody | undefined {
  if (body === undefined || placement === undefined) return body;
  if ((placement.in === 'body' && body.kind === 'json') || (placement.in === 'form' && body.kind === 'form')) {
    const value = body.value;
    if (!isRecord(value)) return body;
    const { [placement.field]: _dropped, ...rest } = value;
    return body.kind === 'json' ? { kind: 'json', value: rest as JsonValue } : { kind: 'form', value: rest };
  }
  return body;
}

/** `{{` and `}}` broken apart (`{ {`), so a value taken from the spec is sent as data, never rendered. */
export function breakBraces(s: string): string {
  return s.replace(/\{\{/g, '{ {').replace(/\}\}/g, '} }');
}

/** Breaks the braces of every value taken from the spec, and remembers whether there were any. */
class Literal {
  changed = false;

  text(s: string): string {
    const broken = breakBraces(s);
    if (broken !== s) this.changed = true;
    return broken;
  }

  json(v: JsonValue): JsonValue {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.json(x));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.json(x);
      return out;
    }
    return v;
  }

  body(b: DraftBody | undefined): DraftBody | undefined {
    if (b === undefined) return undefined;
    switch (b.kind) {
      case 'json':
        return { kind: 'json', value: this.json(b.value) };
      case 'form':
        return { kind: 'form', value: this.json(b.value) as Record<string, JsonValue> };
      case 'text':
        return { ...b, text: this.text(b.text) };
    }
  }
}
