import { describe, expect, it } from 'vitest';
import type { RequestOverrides } from '../attacks/types.js';
import { SetupFailedError } from '../errors/errors.js';
import { resolveContract } from '../config/profiles.js';
import { DEFAULT_SECRET_HEADERS } from '../config/resolve.js';
import type { KeyPlacement, RequestBody, ResolvedEndpoint, ResolvedScenario } from '../scenario/types.js';
import { draftRequest, finishRequest } from './request-builder.js';

function scenarioWith(
  body: RequestBody | undefined,
  keyIn?: KeyPlacement,
  path = '/v1/charges/{{charge_id}}/refunds',
): {
  scenario: ResolvedScenario;
  endpoint: ResolvedEndpoint;
} {
  const endpoint: ResolvedEndpoint = {
    name: 'refund',
    request: { method: 'POST', path, headers: { 'X-Trace': 't-{{uuid}}' }, body },
    key: '{{uuid}}',
    ...(keyIn ? { keyIn } : {}),
    vary: {},
    observe: [],
    attacks: [],
  };
  const scenario: ResolvedScenario = {
    file: '/s.yaml',
    version: 1,
    name: 's',
    target: { baseUrl: 'http://api.test', nodes: [], headers: {}, principals: [], timeoutMs: 1000 },
    contract: resolveContract(undefined),
    endpoints: [endpoint],
    settings: {
      seed: 1,
      failOn: 'high',
      maxRequests: 100,
      rate: undefined,
      bodyCap: 1000,
      secretHeaders: DEFAULT_SECRET_HEADERS,
    },
    secretValues: [],
  };
  return { scenario, endpoint };
}

function build(
  body: RequestBody | undefined,
  keyIn: KeyPlacement | undefined,
  o: Partial<RequestOverrides> = {},
  values: Record<string, string> = { charge_id: 'ch/1' },
  path?: string,
): ReturnType<typeof finishRequest> {
  const { scenario, endpoint } = scenarioWith(body, keyIn, path);
  let n = 0;
  const draft = draftRequest(scenario, endpoint, () => `u${++n}`, { label: 'l', key: 'K-1', ...o });
  const key = 'key' in o ? o.key : 'K-1';
  return finishRequest(draft, { label: 'l', key, principal: 'default', values });
}

const form: RequestBody = {
  kind: 'form',
  fields: [
    ['amount', '500'],
    ['note', 'a b&c {{charge_id}}'],
    ['metadata[order]', 'o-1'],
  ],
};

describe('the request builder', () => {
  it('renders captures URL-encoded in the path and raw in headers, drawing {{uuid}} when drafted', () => {
    const spec = build(undefined, undefined);
    expect(spec.url).toBe('http://api.test/v1/charges/ch%2F1/refunds');
    expect(spec.headers).toEqual({ 'X-Trace': 't-u1', 'Idempotency-Key': 'K-1' });
    expect(spec.body).toBeUndefined();
  });

  it('puts the key in its own header, a JSON body field, a form field or a query parameter', () => {
    expect(build(undefined, { in: 'header', name: 'PayPal-Request-Id' }).headers).toEqual({
      'X-Trace': 't-u1',
      'PayPal-Request-Id': 'K-1',
    });
    const json = build(
      { kind: 'json', value: { amount: 5, payment: { note: '{{charge_id}}' } } },
      {
        in: 'body',
        path: ['payment', 'idempotency_key'],
      },
    );
    expect(JSON.parse(json.body ?? '')).toEqual({ amount: 5, payment: { note: 'ch/1', idempotency_key: 'K-1' } });
    expect(json.headers).toEqual({ 'X-Trace': 't-u1', 'content-type': 'application/json' });
    const f = build(form, { in: 'form', name: 'idempotency_key' });
    expect(f.body).toBe('amount=500&note=a+b%26c+ch%2F1&metadata%5Border%5D=o-1&idempotency_key=K-1');
    expect(f.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const q = build(undefined, { in: 'query', name: 'idem key' }, {}, { charge_id: 'c' }, '/p?expand=x');
    expect(q.url).toBe('http://api.test/p?expand=x&idem%20key=K-1');
    expect(Object.keys(q.headers)).toEqual(['X-Trace']);
  });

  it('leaves the key out wherever it travels when there is none, and replaces a template field of its name', () => {
    expect(build(undefined, undefined, { key: undefined }).headers).toEqual({ 'X-Trace': 't-u1' });
    const json = build(
      { kind: 'json', value: { idempotency_key: 'old', amount: 5 } },
      { in: 'body', path: ['idempotency_key'] },
      { key: undefined },
    );
    expect(JSON.parse(json.body ?? '')).toEqual({ amount: 5 });
    const replaced = build(
      {
        kind: 'form',
        fields: [
          ['idempotency_key', 'x'],
          ['amount', '1'],
        ],
      },
      { in: 'form', name: 'idempotency_key' },
    );
    expect(replaced.body).toBe('idempotency_key=K-1&amount=1');
    expect(build(form, { in: 'form', name: 'idempotency_key' }, { key: undefined }).body).not.toContain(
      'idempotency_key',
    );
    expect(build(undefined, { in: 'query', name: 'k' }, { key: undefined }, {}, '/p?k=old&a=1').url).toBe(
      'http://api.test/p?a=1',
    );
  });

  it('keeps a captured number a string inside a JSON string, and sends a text body as written with its type', () => {
    const json = build({ kind: 'json', value: { amount: '{{amount}}', n: 7 } }, undefined, {}, { amount: '1000' });
    expect(json.body).toBe('{"amount":"1000","n":7}');
    const text = build({ kind: 'text', text: '<pay id="{{charge_id}}"/>', contentType: 'application/xml' }, undefined);
    expect(text.body).toBe('<pay id="ch/1"/>');
    expect(text.headers['content-type']).toBe('application/xml');
    const vnd = build({ kind: 'json', value: {}, contentType: 'application/vnd.api+json' }, undefined);
    expect(vnd.headers['content-type']).toBe('application/vnd.api+json');
  });

  it('sends the bytes a byte-level variation computes from the body as rendered, key in place', () => {
    const spec = build(
      form,
      { in: 'form', name: 'k' },
      {
        bodyText: (r) => (r.kind === 'form' ? r.fields.map(([n]) => n).join(',') : ''),
      },
    );
    expect(spec.body).toBe('amount,note,metadata[order],k');
  });

  it('fails the operation when a captured value would put a line break into a header', () => {
    const { scenario, endpoint } = scenarioWith(undefined);
    const draft = draftRequest(scenario, endpoint, () => 'u', {
      label: 'l',
      key: 'k',
      headers: { 'X-Ref': '{{ref}}' },
    });
    expect(() =>
      finishRequest(draft, { label: 'l', key: 'k', principal: 'default', values: { ref: 'a\r\nX-Evil: 1' } }),
    ).toThrow(SetupFailedError);
  });
});
