/**
 * Setup flows for drafted endpoints: the operations that create what a request acts on. A value
 * comes from another operation's answer when the spec says so with an OpenAPI 3 link (response
 * `links` whose target operation and parameter name it), or, without links, when a path
 * parameter names the id of a collection the spec can create (`{charge}`, `{charge_id}` or
 * `{id}` right after `/charges`, and a `POST /charges` whose answer has an `id`). Each such
 * operation becomes a setup step with the capture, drafted the same way (its own dependencies
 * first, to a bounded depth, never in a cycle).
 *
 * Every step runs `per: operation`, so each audited operation acts on resources of its own: a
 * refund changes its charge, and a second operation on the same charge would measure that change,
 * not idempotency; and an operation sent by another principal (cross-principal) creates its chain
 * with that principal's credentials, as an API that checks who owns a charge requires.
 */
import type { JsonValue } from '../scenario/types.js';
import { CAPTURE_NAME } from '../scenario/template.js';
import type { DraftBody, DraftCapture, DraftKeyPlacement, DraftRequest, DraftSetupStep } from './draft.js';
import { isRecord } from './example-body.js';
import { breakBraces, type RequestParts } from './request-parts.js';
import {
  asArray,
  byOperationRef,
  describeOp,
  pathParamNames,
  type SpecIndex,
  type SpecOperation,
} from './spec-operations.js';

/** Producers of producers of …: real flows are two or three deep (customer → charge → refund). */
const MAX_DEPTH = 3;
const BUILT_IN = new Set(['uuid', 'key', 'principal']);

export interface Incoming {
  producer: SpecOperation;
  name: string;
  link: Record<string, unknown>;
}

export interface FlowContext {
  index: SpecIndex;
  /** Links by the operation they target. */
  links: ReadonlyMap<SpecOperation, readonly Incoming[]>;
  /** The request parts of an operation (memoised), or why it cannot be drafted. */
  parts(o: SpecOperation): RequestParts | { skip: string };
  /** Server path prefix of every request. */
  prefix: string;
}

export interface Flow {
  request: DraftRequest;
  setup: DraftSetupStep[];
  notes: string[];
}

/** Every 2xx response link of every operation, by the operation it targets. */
export function linksByTarget(index: SpecIndex): Map<SpecOperation, Incoming[]> {
  const out = new Map<SpecOperation, Incoming[]>();
  for (const producer of index.operations) {
    const responses = isRecord(producer.op['responses']) ? producer.op['responses'] : {};
    for (const [status, res] of Object.entries(responses)) {
      if (!/^2(\d\d|XX)$/i.test(status) || !isRecord(res) || !isRecord(res['links'])) continue;
      for (const [name, link] of Object.entries(res['links'])) {
        if (!isRecord(link)) continue;
        const target =
          typeof link['operationId'] === 'string'
            ? index.byId.get(link['operationId'])
            : typeof link['operationRef'] === 'string'
              ? byOperationRef(index, link['operationRef'])
              : undefined;
        if (target === undefined) continue;
        out.set(target, [...(out.get(target) ?? []), { producer, name, link }]);
      }
    }
  }
  // Creating operations first: a link from a POST gives a fresh resource, one from a GET needs one already.
  for (const list of out.values()) list.sort((a, b) => rank(a.producer) - rank(b.producer));
  return out;
}

function rank(o: SpecOperation): number {
  return o.method === 'post' ? 0 : o.method === 'get' ? 2 : 1;
}

/** The request of `target` with what other operations provide, and the setup steps that provide it. */
export function planFlow(ctx: FlowContext, target: SpecOperation, parts: RequestParts): Flow {
  const planner = new Planner(ctx);
  const built = planner.build(target, parts, 0, new Set([target]));
  const setup = planner.finish();
  return { request: built.request, setup, notes: planner.notes };
}

interface Planned {
  producer: SpecOperation;
  step: DraftSetupStep;
  /** `json $.id` / `header location` → capture name. */
  captures: Map<string, string>;
  /** The producer's own request values (`path.charge`, `query.x`, `header.x`), for `$request.…` expressions. */
  values: ReadonlyMap<string, string>;
  uses: string[];
}

interface Built {
  request: DraftRequest;
  values: Map<string, string>;
}

class Planner {
  readonly notes: string[] = [];
  readonly #planned: Planned[] = [];
  readonly #stepNames = new Set<string>();
  readonly #vars = new Set<string>();
  /** Resource positions already bound in this flow (`/v1/customers/{}` → `{{customer_id}}`), shared by every step. */
  readonly #bound = new Map<string, string>();
  readonly #ctx: FlowContext;

  constructor(ctx: FlowContext) {
    this.#ctx = ctx;
  }

  build(o: SpecOperation, parts: RequestParts, depth: number, visiting: ReadonlySet<SpecOperation>): Built {
    const incoming = (this.#ctx.links.get(o) ?? []).filter((i) => !visiting.has(i.producer));
    const values = new Map<string, string>();
    let path = o.path;
    for (const name of pathParamNames(o.path)) {
      const position = positionKey(o.path, name);
      const provided =
        this.#bound.get(position) ??
        this.#fromLinks(o, incoming, 'path', name, depth, visiting) ??
        this.#fromCollection(o, name, depth, visiting);
      let value: string;
      if (provided !== undefined) {
        this.#bound.set(position, provided);
        value = provided;
      } else {
        const example = parts.pathValues.get(name);
        if (example === undefined && depth === 0)
          this.notes.push(`path parameter {${name}} has no example and no operation that creates it: set a real value`);
        value = encodeURIComponent(example ?? `replace-me-${name}`);
      }
      values.set(`path.${name}`, value);
      path = path.replaceAll(`{${name}}`, value);
    }

    const query: [string, string][] = parts.query.map(([n, v]) => [n, encodeURIComponent(v)]);
    const headers: Record<string, string> = { ...parts.headers };
    let body = parts.body;
    const linked = (where: 'query' | 'header', name: string) =>
      this.#fromLinks(o, incoming, where, name, depth, visiting);
    for (const p of o.params) {
      const name = p['name'];
      if (typeof name !== 'string') continue;
      if (p['in'] === 'query') {
        const v = linked('query', name);
        if (v !== undefined) setPair(query, name, v);
      } else if (p['in'] === 'header') {
        const v = linked('header', name);
        if (v !== undefined && !/[\r\n]/.test(v)) headers[name] = v;
      }
    }
    for (const [n, v] of query) values.set(`query.${n}`, v);
    for (const [n, v] of Object.entries(headers)) values.set(`header.${n.toLowerCase()}`, v);
    body = this.#linkedBody(o, body, parts.bodyProperties, incoming, depth, visiting);

    const fullPath =
      this.#ctx.prefix +
      path +
      (query.length > 0 ? `?${query.map(([n, v]) => `${encodeURIComponent(n)}=${v}`).join('&')}` : '');
    return { request: { method: o.method.toUpperCase(), path: fullPath, headers, body }, values };
  }

  /** The steps in the order they run: every producer after what it needs. */
  finish(): DraftSetupStep[] {
    for (const p of this.#planned) p.step.reason = `${describeOp(p.producer)} provides ${p.uses.join(', ')}`;
    return this.#planned.map((p) => p.step);
  }

  #fromLinks(
    target: SpecOperation,
    incoming: readonly Incoming[],
    where: 'path' | 'query' | 'header',
    name: string,
    depth: number,
    visiting: ReadonlySet<SpecOperation>,
  ): string | undefined {
    for (const inc of incoming) {
      const params = isRecord(inc.link['parameters']) ? inc.link['parameters'] : {};
      const entry = Object.entries(params).find(([k]) => k === name || k === `${where}.${name}`);
      if (entry === undefined) continue;
      const use = `${where === 'path' ? `{${name}}` : `${where} ${name}`} of ${describeOp(target)} (link ${inc.name})`;
      const provided = this.#expression(entry[1], inc.producer, use, depth, visiting);
      if (provided !== undefined) return provided;
    }
    return undefined;
  }

  /** Body fields a link fills: `requestBody` (a whole body with embedded expressions) or `parameters` naming a body property. */
  #linkedBody(
    target: SpecOperation,
    body: DraftBody | undefined,
    properties: ReadonlySet<string>,
    incoming: readonly Incoming[],
    depth: number,
    visiting: ReadonlySet<SpecOperation>,
  ): DraftBody | undefined {
    if (body === undefined || body.kind === 'text' || !isRecord(body.value)) return body;
    const fields: Record<string, JsonValue> = { ...(body.value as Record<string, JsonValue>) };
    for (const inc of incoming) {
      const fromParams = isRecord(inc.link['parameters']) ? Object.entries(inc.link['parameters']) : [];
      const requestBody = isRecord(inc.link['requestBody']) ? Object.entries(inc.link['requestBody']) : [];
      const candidates = [
        ...fromParams.filter(([k]) => properties.has(k) && !target.params.some((p) => p['name'] === k)),
        ...requestBody,
      ];
      for (const [field, expr] of candidates) {
        if (field in fields && typeof fields[field] === 'string' && String(fields[field]).includes('{{')) continue;
        const use = `body field ${field} of ${describeOp(target)} (link ${inc.name})`;
        const provided = this.#expression(expr, inc.producer, use, depth, visiting);
        if (provided !== undefined) fields[field] = provided;
      }
    }
    return body.kind === 'json' ? { kind: 'json', value: fields } : { kind: 'form', value: fields };
  }

  /** A link value: a constant, a runtime expression, or a string with `{$…}` expressions embedded. */
  #expression(
    expr: unknown,
    producer: SpecOperation,
    use: string,
    depth: number,
    visiting: ReadonlySet<SpecOperation>,
  ): string | undefined {
    if (typeof expr === 'number' || typeof expr === 'boolean') return String(expr);
    if (typeof expr !== 'string') return undefined;
    if (expr.startsWith('$')) return this.#runtime(expr, producer, use, depth, visiting);
    if (!expr.includes('{$')) return breakBraces(expr);
    let failed = false;
    // The literal parts are the spec's text; only the expressions become captures.
    const value = expr
      .split(/(\{\$[^}]+\})/)
      .map((part) => {
        if (!/^\{\$[^}]+\}$/.test(part)) return breakBraces(part);
        const p = this.#runtime(part.slice(1, -1), producer, use, depth, visiting);
        if (p === undefined) failed = true;
        return p ?? '';
      })
      .join('');
    return failed ? undefined : value;
  }

  #runtime(
    expr: string,
    producer: SpecOperation,
    use: string,
    depth: number,
    visiting: ReadonlySet<SpecOperation>,
  ): string | undefined {
    const body = /^\$response\.body#(\/.*)$/.exec(expr);
    if (body?.[1] !== undefined) {
      const path = pointerToJsonPath(body[1]);
      if (path === undefined) {
        this.#note(`link expression ${expr} cannot be written as a capture: set ${use} by hand`, depth);
        return undefined;
      }
      return this.#capture(producer, { json: path }, use, depth, visiting);
    }
    const header = /^\$response\.header\.([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/.exec(expr);
    if (header?.[1] !== undefined) return this.#capture(producer, { header: header[1] }, use, depth, visiting);
    const request = /^\$request\.(path|query|header)\.(.+)$/.exec(expr);
    if (request?.[1] !== undefined && request[2] !== undefined) {
      const planned = this.#step(producer, depth, visiting);
      const key = `${request[1]}.${request[1] === 'header' ? request[2].toLowerCase() : request[2]}`;
      const value = planned?.values.get(key);
      if (planned !== undefined && value !== undefined) {
        planned.uses.push(use);
        return value;
      }
    }
    this.#note(`link expression ${expr} is not followed: set ${use} by hand`, depth);
    return undefined;
  }

  /** The collection heuristic: `{charge}` right after `/charges`, created by `POST /charges` whose answer has the id. */
  #fromCollection(
    target: SpecOperation,
    name: string,
    depth: number,
    visiting: ReadonlySet<SpecOperation>,
  ): string | undefined {
    const at = target.path.indexOf(`{${name}}`);
    const collection = target.path.slice(0, at).replace(/\/$/, '');
    const segment = collection.split('/').pop() ?? '';
    if (segment === '' || segment.includes('{')) return undefined;
    // The collection's own POST, else the one POST that creates such resources elsewhere
    // (`/v1/test_helpers/refunds/{refund}/expire` acts on what `POST /v1/refunds` creates).
    const elsewhere = this.#ctx.index.createBySegment.get(segment) ?? [];
    const producer = this.#ctx.index.createAt.get(collection) ?? (elsewhere.length === 1 ? elsewhere[0] : undefined);
    if (producer === undefined || visiting.has(producer)) return undefined;
    const path = capturePathFor(producer, name, segment);
    if (path === undefined) return undefined;
    return this.#capture(producer, { json: path }, `{${name}} of ${describeOp(target)}`, depth, visiting);
  }

  #capture(
    producer: SpecOperation,
    source: DraftCapture,
    use: string,
    depth: number,
    visiting: ReadonlySet<SpecOperation>,
  ): string | undefined {
    const planned = this.#step(producer, depth, visiting);
    if (planned === undefined) return undefined;
    const key = 'json' in source ? `json ${source.json}` : `header ${source.header.toLowerCase()}`;
    let name = planned.captures.get(key);
    if (name === undefined) {
      name = this.#uniqueVar(captureName(producer, source));
      planned.captures.set(key, name);
      planned.step.capture[name] = source;
    }
    planned.uses.push(use);
    return `{{${name}}}`;
  }

  /** The step that sends `producer` in this flow: found, or drafted with its own dependencies first. */
  #step(producer: SpecOperation, depth: number, visiting: ReadonlySet<SpecOperation>): Planned | undefined {
    const existing = this.#planned.find((p) => p.producer === producer);
    if (existing !== undefined) return existing;
    if (depth >= MAX_DEPTH || visiting.has(producer)) return undefined;
    const parts = this.#ctx.parts(producer);
    if ('skip' in parts) {
      this.#note(`${describeOp(producer)} would provide a value, but it is not drafted (${parts.skip})`, depth);
      return undefined;
    }
    const built = this.build(producer, parts, depth + 1, new Set(visiting).add(producer));
    const request = withKey(built.request, parts.key.placement);
    const planned: Planned = {
      producer,
      step: {
        name: this.#uniqueStep(resourceName(producer).replace(/_/g, '-')),
        request,
        capture: {},
        reason: '',
      },
      captures: new Map(),
      values: built.values,
      uses: [],
    };
    this.#planned.push(planned);
    return planned;
  }

  #note(note: string, depth: number): void {
    if (!this.notes.includes(note)) this.notes.push(depth === 0 ? note : `(setup) ${note}`);
  }

  #uniqueVar(base: string): string {
    let name = base;
    for (let i = 2; this.#vars.has(name) || BUILT_IN.has(name); i++) name = `${base}_${i}`;
    this.#vars.add(name);
    return name;
  }

  #uniqueStep(base: string): string {
    let name = base;
    for (let i = 2; this.#stepNames.has(name); i++) name = `${base}-${i}`;
    this.#stepNames.add(name);
    return name;
  }
}

/** A setup request carries the producer's own key where the spec documents one: a setup retry is then safe too. */
function withKey(request: DraftRequest, placement: DraftKeyPlacement | undefined): DraftRequest {
  if (placement === undefined) return request;
  switch (placement.in) {
    case 'header':
      return { ...request, headers: { ...request.headers, [placement.name]: '{{uuid}}' } };
    case 'query':
      return {
        ...request,
        path: `${request.path}${request.path.includes('?') ? '&' : '?'}${encodeURIComponent(placement.name)}={{uuid}}`,
      };
    case 'body':
    case 'form': {
      const body = request.body;
      if (body === undefined || body.kind === 'text' || !isRecord(body.value)) return request;
      const value = { ...(body.value as Record<string, JsonValue>), [placement.field]: '{{uuid}}' };
      return { ...request, body: body.kind === 'json' ? { kind: 'json', value } : { kind: 'form', value } };
    }
  }
}

function setPair(pairs: [string, string][], name: string, value: string): void {
  const at = pairs.findIndex(([n]) => n === name);
  if (at >= 0) pairs[at] = [name, value];
  else pairs.push([name, value]);
}

/** `/v1/customers/{customer}/sources` and `/v1/customers/{id}` name the same position: `/v1/customers/{}`. */
function positionKey(path: string, name: string): string {
  return path.slice(0, path.indexOf(`{${name}}`)).replace(/\{[^}]*\}/g, '{}') + '{}';
}

/** `/data/0/id` → `$.data[0].id`; undefined for names a scenario's JSONPath cannot quote. */
export function pointerToJsonPath(pointer: string): string | undefined {
  if (pointer === '' || pointer === '/') return undefined;
  let path = '$';
  for (const raw of pointer.slice(1).split('/')) {
    const token = decodePointerToken(raw);
    if (/^\d+$/.test(token)) path += `[${token}]`;
    else if (/^[\p{L}\p{N}_-]+$/u.test(token)) path += `.${token}`;
    else if (!/['",\\\]]/.test(token)) path += `['${token}']`;
    else return undefined;
  }
  return path;
}

function decodePointerToken(t: string): string {
  let s = t;
  try {
    s = decodeURIComponent(t);
  } catch {
    // a literal %
  }
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

const lower = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function singular(word: string): string {
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/(ss|us|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (/s$/.test(word) && !/ss$/.test(word)) return word.slice(0, -1);
  return word;
}

/** `payment_intents` → `payment_intent`: the last literal segment of the producer's path, singular. */
function resourceName(o: SpecOperation): string {
  const segment =
    o.path
      .split('/')
      .filter((s) => s !== '' && !s.includes('{'))
      .pop() ?? 'resource';
  const snake = segment
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const name = singular(snake === '' ? 'resource' : snake);
  return /^[a-z]/.test(name) ? name : `r_${name}`;
}

function captureName(producer: SpecOperation, source: DraftCapture): string {
  const resource = resourceName(producer);
  const last =
    'json' in source ? (/([\p{L}\p{N}_-]+)\]?'?\]?$/u.exec(source.json)?.[1] ?? 'value') : source.header.toLowerCase();
  const tail = last.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'value';
  const name = `${resource}_${tail.toLowerCase()}`;
  return CAPTURE_NAME.test(name) ? name : `v_${name}`;
}

/** Whether `{name}` after `/<segment>` names that collection's id: `id`, `charge`, `charge_id`, `chargeId`, `intent` of payment_intents, `subscription_exposed_id`. */
function idLike(name: string, segment: string): boolean {
  const n = lower(name);
  const seg = lower(segment);
  const sg = lower(singular(segment));
  if (n === 'id' || n === sg || n === seg) return true;
  const base = n.endsWith('id') ? n.slice(0, -2) : n;
  if (base === sg || base === seg) return true;
  // `{intent}` after /payment_intents, `{subscription_exposed_id}` after /subscriptions.
  return (base.length >= 3 && (sg.endsWith(base) || seg.endsWith(base))) || (sg.length >= 3 && base.startsWith(sg));
}

/** Where the producer's answer carries the value `{name}` needs: its id (top level or under the resource's name), or a property of that name. */
function capturePathFor(producer: SpecOperation, name: string, segment: string): string | undefined {
  const schema = successSchema(producer.op);
  if (schema === undefined) return undefined;
  // A property of that very name (`{username}` after /user) says more than a name that looks like an id.
  if (propertiesOf(schema).has(name) && /^[\p{L}\p{N}_-]+$/u.test(name)) return `$.${name}`;
  return idLike(name, segment) ? idPathIn(schema, singular(lower(segment))) : undefined;
}

/** The JSON schema of an operation's first 2xx answer. */
export function successSchema(op: Record<string, unknown>): Record<string, unknown> | undefined {
  const responses = isRecord(op['responses']) ? op['responses'] : {};
  const ok = Object.keys(responses)
    .filter((s) => /^2(\d\d|XX)$/i.test(s))
    .sort()[0];
  const res = ok === undefined ? undefined : responses[ok];
  if (!isRecord(res)) return undefined;
  const content = isRecord(res['content']) ? res['content'] : undefined;
  const jsonType = content === undefined ? undefined : Object.keys(content).find((t) => /json/i.test(t));
  const media = jsonType === undefined || content === undefined ? undefined : content[jsonType];
  const schema = isRecord(media) ? media['schema'] : res['schema'];
  return isRecord(schema) ? schema : undefined;
}

function propertiesOf(schema: unknown, depth = 0): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!isRecord(schema) || depth > 4) return out;
  if (isRecord(schema['properties'])) for (const [k, v] of Object.entries(schema['properties'])) out.set(k, v);
  for (const part of [
    ...asArray(schema['allOf']),
    ...asArray(schema['anyOf']).slice(0, 1),
    ...asArray(schema['oneOf']).slice(0, 1),
  ])
    for (const [k, v] of propertiesOf(part, depth + 1)) if (!out.has(k)) out.set(k, v);
  return out;
}

/** `$.id`, or `$.payment.id` when the answer wraps the resource (Square), preferring the property named like it. */
export function idPathIn(schema: unknown, preferred: string | undefined): string | undefined {
  const props = propertiesOf(schema);
  if (props.has('id')) return '$.id';
  const wrapped = [...props.entries()].filter(([k, v]) => /^[\p{L}\p{N}_-]+$/u.test(k) && propertiesOf(v).has('id'));
  const named =
    wrapped.find(([k]) => preferred !== undefined && lower(k) === preferred) ??
    (wrapped.length === 1 ? wrapped[0] : undefined);
  return named === undefined ? undefined : `$.${named[0]}.id`;
}
