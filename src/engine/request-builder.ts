/**
 * What `ctx.request`, `ctx.newKey` and `ctx.contract` give an attack, as pure functions of the
 * scenario and the endpoint: the engine's attack context and the test kit's fake context
 * (attacks/testing) both call these, so an attack's unit test sends exactly what a real run would.
 */
import type { RequestOverrides } from '../attacks/types.js';
import { deleteHeader, getHeader, mergeHeaders } from '../http/headers.js';
import type { RequestSpec } from '../http/request-spec.js';
import { bodyText, contentTypeOf } from '../scenario/request-body.js';
import { renderTemplate } from '../scenario/template.js';
import { DEFAULT_PRINCIPAL, type Contract, type ResolvedEndpoint, type ResolvedScenario } from '../scenario/types.js';

/** The scenario's contract with the endpoint's own promises merged over it. */
export function contractFor(scenario: ResolvedScenario, endpoint: ResolvedEndpoint): Contract {
  return endpoint.contract ? { ...scenario.contract, ...endpoint.contract } : scenario.contract;
}

/** A fresh key rendered from the endpoint's key template; `uuid` draws from the run's seeded stream. */
export function renderKey(endpoint: ResolvedEndpoint, uuid: () => string): string {
  return renderTemplate(endpoint.key, { uuid });
}

/**
 * The endpoint's request with the key and overrides applied: headers merged case-insensitively
 * (target, principal, endpoint, overrides), templates rendered, the key header set (or removed
 * when `key` is undefined) unless the overrides spell it themselves, and a JSON content type
 * added to a body that names none.
 */
export function buildRequest(
  scenario: ResolvedScenario,
  endpoint: ResolvedEndpoint,
  uuid: () => string,
  o: RequestOverrides,
): RequestSpec {
  const principalName = o.principal ?? DEFAULT_PRINCIPAL;
  const principal = scenario.target.principals.find((p) => p.name === principalName);
  const key = o.key;
  const vars = { key: key ?? '', uuid, principal: principalName };
  const path = renderTemplate(o.path ?? endpoint.request.path, vars, encodeURIComponent);
  const headers = mergeHeaders(scenario.target.headers, principal?.headers, endpoint.request.headers, o.headers);
  for (const [k, v] of Object.entries(headers)) headers[k] = renderTemplate(v, vars);
  const keyHeader = scenario.contract.keyHeader;
  if (key === undefined) deleteHeader(headers, keyHeader);
  else if (o.headers === undefined || getHeader(o.headers, keyHeader) === undefined) {
    deleteHeader(headers, keyHeader);
    headers[keyHeader] = key;
  }
  const template = endpoint.request.body;
  const body = o.rawBody ?? ('body' in o ? jsonText(o.body) : template === undefined ? undefined : bodyText(template));
  if (body !== undefined && getHeader(headers, 'content-type') === undefined)
    headers['content-type'] = template !== undefined && !('body' in o) ? contentTypeOf(template) : 'application/json';
  const spec: RequestSpec = {
    method: o.method ?? endpoint.request.method,
    url: `${o.baseUrl ?? scenario.target.baseUrl}${path}`,
    headers,
    body,
    label: o.label,
    key,
    principal: principalName,
  };
  if (o.timeoutMs !== undefined) spec.timeoutMs = o.timeoutMs;
  return spec;
}

function jsonText(body: unknown): string | undefined {
  return body === undefined ? undefined : JSON.stringify(body);
}
