/**
 * What `ctx.request`, `ctx.newKey` and `ctx.contract` give an attack, as pure functions of the
 * scenario and the endpoint: the engine's attack context and the test kit's fake context
 * (attacks/testing) both call these, so an attack's unit test sends exactly what a real run would.
 *
 * A request is built in two steps. `draftRequest` (when the attack asks for it) merges the
 * templates and draws every `{{uuid}}`, so the seeded stream is consumed in the attack's order;
 * `finishRequest` (when it is sent, after its operation's setup ran) renders the key, the
 * principal and the captures, places the key, and encodes the body.
 */
import type { RequestDraft, RequestOverrides } from '../attacks/types.js';
import { SetupFailedError } from '../errors/errors.js';
import { deleteHeader, getHeader, mergeHeaders } from '../http/headers.js';
import type { ExchangePhase, RequestSpec } from '../http/request-spec.js';
import {
  bodyText,
  contentTypeOf,
  renderBody,
  setFormField,
  setJsonField,
  setQueryParam,
} from '../scenario/request-body.js';
import { renderTemplate, type TemplateValues } from '../scenario/template.js';
import {
  DEFAULT_PRINCIPAL,
  type Contract,
  type KeyPlacement,
  type RequestBody,
  type ResolvedEndpoint,
  type ResolvedScenario,
} from '../scenario/types.js';

/** The scenario's contract with the endpoint's own promises merged over it. */
export function contractFor(scenario: ResolvedScenario, endpoint: ResolvedEndpoint): Contract {
  return endpoint.contract ? { ...scenario.contract, ...endpoint.contract } : scenario.contract;
}

/** Where the endpoint's key travels: its own placement, else the contract's key header. */
export function placementOf(scenario: ResolvedScenario, endpoint: ResolvedEndpoint): KeyPlacement {
  return endpoint.keyIn ?? { in: 'header', name: scenario.contract.keyHeader };
}

/** A fresh key rendered from the endpoint's key template; `uuid` draws from the run's seeded stream. */
export function renderKey(endpoint: ResolvedEndpoint, uuid: () => string): string {
  return renderTemplate(endpoint.key, { uuid });
}

/**
 * The endpoint's request with the overrides applied and every `{{uuid}}` drawn: headers merged
 * case-insensitively (target, principal, endpoint, overrides), the body the overrides give or the
 * endpoint's. `endpoint` is the one the request goes to (`o.endpoint`, resolved by the caller).
 */
export function draftRequest(
  scenario: ResolvedScenario,
  endpoint: ResolvedEndpoint,
  uuid: () => string,
  o: RequestOverrides,
): RequestDraft {
  const principalName = o.principal ?? DEFAULT_PRINCIPAL;
  const principal = scenario.target.principals.find((p) => p.name === principalName);
  const draw = (t: string): string => renderTemplate(t, { uuid });
  const path = draw(o.path ?? endpoint.request.path);
  const headers = mergeHeaders(scenario.target.headers, principal?.headers, endpoint.request.headers, o.headers);
  for (const [k, v] of Object.entries(headers)) headers[k] = draw(v);
  const body = 'body' in o ? o.body : endpoint.request.body;
  const keyIn = placementOf(scenario, endpoint);
  const draft: {
    -readonly [K in keyof RequestDraft]: RequestDraft[K];
  } = {
    method: o.method ?? endpoint.request.method,
    baseUrl: o.baseUrl ?? scenario.target.baseUrl,
    path,
    headers,
    body: body && renderBody(body, draw),
    keyIn,
    keyHeaderGiven: keyIn.in === 'header' && o.headers !== undefined && getHeader(o.headers, keyIn.name) !== undefined,
  };
  if (o.bodyText) draft.bodyText = o.bodyText;
  if (o.timeoutMs !== undefined) draft.timeoutMs = o.timeoutMs;
  return draft;
}

export interface FinishOptions {
  label: string;
  key: string | undefined;
  principal: string;
  /** The captures visible to the request (run, endpoint and operation setup). */
  values: Readonly<Record<string, string>>;
  phase?: ExchangePhase;
}

/**
 * The request as sent: templates rendered (the path URL-encoded, headers raw, the body by its
 * kind), the key set at its place (or removed when there is none) unless the overrides spelled
 * the key header themselves, the body encoded, and the body's media type added when no header
 * names one. A header whose rendered value has a line break (a captured value brought it) fails
 * the request's operation.
 */
export function finishRequest(draft: RequestDraft, o: FinishOptions): RequestSpec {
  const vars: TemplateValues = { ...o.values, key: o.key ?? '', principal: o.principal };
  const render = (t: string): string => renderTemplate(t, vars);
  const keyIn = draft.keyIn;
  let path = renderTemplate(draft.path, vars, encodeURIComponent);
  if (keyIn.in === 'query') path = setQueryParam(path, keyIn.name, o.key);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(draft.headers)) {
    const value = render(v);
    if (/[\r\n]/.test(value))
      throw new SetupFailedError(`header ${k} of request '${o.label}' would carry a line break from a captured value`);
    headers[k] = value;
  }
  if (keyIn.in === 'header' && !draft.keyHeaderGiven) {
    deleteHeader(headers, keyIn.name);
    if (o.key !== undefined) headers[keyIn.name] = o.key;
  }
  const rendered = draft.body && placeKey(renderBody(draft.body, render), keyIn, o.key);
  const body = rendered && (draft.bodyText ? draft.bodyText(rendered) : bodyText(rendered));
  if (rendered && getHeader(headers, 'content-type') === undefined) headers['content-type'] = contentTypeOf(rendered);
  const spec: RequestSpec = {
    method: draft.method,
    url: `${draft.baseUrl}${path}`,
    headers,
    body,
    label: o.label,
    key: o.key,
    principal: o.principal,
  };
  if (draft.timeoutMs !== undefined) spec.timeoutMs = draft.timeoutMs;
  if (o.phase !== undefined) spec.phase = o.phase;
  return spec;
}

/** The body with the key in its field (or without the field when there is no key). */
function placeKey(body: RequestBody, keyIn: KeyPlacement, key: string | undefined): RequestBody {
  if (keyIn.in === 'body' && body.kind === 'json') return { ...body, value: setJsonField(body.value, keyIn.path, key) };
  if (keyIn.in === 'form' && body.kind === 'form') return setFormField(body, keyIn.name, key);
  return body;
}
