import { describe, expect, it } from 'vitest';
import { SetupFailedError } from '../errors/errors.js';
import { resolveContract } from '../config/profiles.js';
import { DEFAULT_SECRET_HEADERS } from '../config/resolve.js';
import type { Exchange } from '../http/exchange.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { ResolvedEndpoint, ResolvedScenario, SetupStep, TeardownStep } from '../scenario/types.js';
import { RunSetup, SCENARIO_SCOPE, type SetupTransport } from './setup.js';

interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  error?: string;
}

/** A transport answering by `METHOD path`, recording what was sent. */
function scripted(answers: Record<string, Answer>): SetupTransport & { sent: RequestSpec[] } {
  const sent: RequestSpec[] = [];
  let id = 1;
  return {
    sent,
    send(spec, ctx) {
      sent.push(spec);
      const u = new URL(spec.url);
      const a = answers[`${spec.method} ${u.pathname}`] ?? { status: 404, body: { error: 'no route' } };
      const exchange: Exchange = {
        id: id++,
        label: spec.label,
        attack: ctx.attack,
        endpoint: ctx.endpoint,
        key: spec.key,
        principal: spec.principal,
        request: { method: spec.method, url: spec.url, headers: { ...spec.headers }, body: spec.body },
        timings: { queued: 0 },
      };
      if (spec.phase) exchange.phase = spec.phase;
      if (a.error) exchange.error = { code: 'connect-refused', message: a.error };
      else {
        const body = typeof a.body === 'string' ? a.body : JSON.stringify(a.body ?? {});
        exchange.response = {
          status: a.status ?? 200,
          headers: a.headers ?? {},
          body,
          bytes: body.length,
          truncated: false,
        };
      }
      return Promise.resolve({ exchange });
    },
  };
}

const req = (path: string, method = 'POST'): SetupStep['request'] => ({ method, path, headers: {}, body: undefined });

function step(name: string, path: string, capture: SetupStep['capture'] = [], o: Partial<SetupStep> = {}): SetupStep {
  return { name, per: 'run', request: req(path), capture, expect: undefined, ...o };
}

function teardown(name: string, path: string, per: TeardownStep['per'] = 'run'): TeardownStep {
  return { name, per, request: req(path), expect: undefined };
}

function scenarioWith(o: Partial<ResolvedScenario>, endpoint: Partial<ResolvedEndpoint> = {}): ResolvedScenario {
  return {
    file: '/s.yaml',
    version: 1,
    name: 's',
    target: {
      baseUrl: 'http://api.test',
      nodes: [],
      headers: { Authorization: 'Bearer {{token}}', 'X-Static': 'yes' },
      principals: [{ name: 'bob', headers: { Authorization: 'Bearer bob' } }],
      timeoutMs: 1000,
    },
    contract: resolveContract(undefined),
    endpoints: [
      { name: 'refund', request: req('/r'), key: '{{uuid}}', vary: {}, observe: [], attacks: [], ...endpoint },
    ],
    settings: {
      seed: 1,
      failOn: 'high',
      maxRequests: 100,
      rate: undefined,
      bodyCap: 1000,
      secretHeaders: DEFAULT_SECRET_HEADERS,
    },
    secretValues: [],
    ...o,
  };
}

function runSetup(scenario: ResolvedScenario, secrets: string[] = []): RunSetup {
  return new RunSetup({
    scenario,
    uuid:
      (...parts) =>
      () =>
        `uuid(${parts.join('/')})`,
    secret: (v) => secrets.push(v),
    isSecretHeader: (h) => /token|cookie/i.test(h),
  });
}

describe('setup steps', () => {
  it('captures JSON values (numbers as their text), headers in any case, and regular-expression groups', async () => {
    const scenario = scenarioWith({
      setup: [
        step('customer', '/customers', [
          { name: 'customer_id', source: { from: 'json', path: '$.data[0].id' } },
          { name: 'amount', source: { from: 'json', path: '$.amount' } },
          { name: 'where', source: { from: 'header', name: 'LOCATION' } },
          { name: 'ref', source: { from: 'header', name: 'location', pattern: '/customers/([^/]+)$' } },
          { name: 'whole', source: { from: 'json', path: '$.code', pattern: '[0-9]+' } },
        ]),
      ],
    });
    const t = scripted({
      'POST /customers': {
        status: 201,
        body: { data: [{ id: 'cus_9' }], amount: 1000, code: 'ab-42-x' },
        headers: { location: '/v1/customers/cus_9' },
      },
    });
    await expect(runSetup(scenario).scenario(t)).resolves.toEqual({
      customer_id: 'cus_9',
      amount: '1000',
      where: '/v1/customers/cus_9',
      ref: 'cus_9',
      whole: '42',
    });
    expect(t.sent[0]).toMatchObject({ label: 'setup customer', phase: 'setup', key: undefined, principal: 'default' });
  });

  it('sends a target header from the moment its capture exists, and renders captures into later steps', async () => {
    const scenario = scenarioWith({
      setup: [
        step('login', '/login', [{ name: 'token', source: { from: 'json', path: '$.access_token' } }]),
        step('customer', '/customers/{{token}}'),
      ],
    });
    const secrets: string[] = [];
    const t = scripted({ 'POST /login': { body: { access_token: 't/0k' } }, 'POST /customers/t%2F0k': { body: {} } });
    await runSetup(scenario, secrets).scenario(t);
    expect(t.sent.map((s) => s.headers)).toEqual([
      { 'X-Static': 'yes' },
      { Authorization: 'Bearer t/0k', 'X-Static': 'yes' },
    ]);
    // Captured from a credential-named field: a secret of the run from now on.
    expect(secrets).toEqual(['t/0k']);
  });

  it('fails with what the target answered: a status outside expect, no answer, nothing to capture', async () => {
    const fail = async (answer: Answer, s: Partial<SetupStep> = {}): Promise<string> => {
      const scenario = scenarioWith({
        setup: [step('customer', '/customers', [{ name: 'id', source: { from: 'json', path: '$.id' } }], s)],
      });
      const err = await runSetup(scenario)
        .scenario(scripted({ 'POST /customers': answer }))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SetupFailedError);
      return (err as Error).message;
    };
    expect(await fail({ status: 402, body: { error: 'card_declined' } })).toBe(
      `setup step 'customer' (scenario setup): POST /customers answered 402, expected 2xx: {"error":"card_declined"}`,
    );
    expect(await fail({ status: 200, body: { id: 'c' } }, { expect: [201] })).toBe(
      `setup step 'customer' (scenario setup): POST /customers answered 200, expected 201: {"id":"c"}`,
    );
    expect(await fail({ error: 'connection refused' })).toBe(
      `setup step 'customer' (scenario setup): POST /customers got no answer (connect-refused: connection refused)`,
    );
    expect(await fail({ status: 200, body: { other: 1 } })).toBe(
      `setup step 'customer' (scenario setup): capture {{id}}: $.id matched nothing: {"other":1}`,
    );
    expect(await fail({ status: 200, body: '<html>' })).toBe(
      `setup step 'customer' (scenario setup): capture {{id}}: the answer is not JSON: <html>`,
    );
  });

  it('runs an endpoint’s per-run steps once, and keeps a failure instead of sending the step again', async () => {
    const endpoint: Partial<ResolvedEndpoint> = {
      setup: [step('charge', '/charges', [{ name: 'charge_id', source: { from: 'json', path: '$.id' } }])],
    };
    const ok = scenarioWith({}, endpoint);
    const t = scripted({ 'POST /charges': { body: { id: 'ch_1' } } });
    const setup = runSetup(ok);
    const ep = ok.endpoints[0] as ResolvedEndpoint;
    expect(await setup.endpoint(ep, t, 'a')).toEqual({ charge_id: 'ch_1' });
    expect(await setup.endpoint(ep, t, 'b')).toEqual({ charge_id: 'ch_1' });
    expect(setup.endpointNow('refund')).toEqual({ charge_id: 'ch_1' });
    expect(t.sent).toHaveLength(1);
    const broken = scripted({});
    const failing = runSetup(ok);
    await expect(failing.endpoint(ep, broken, 'a')).rejects.toThrow(SetupFailedError);
    await expect(failing.endpoint(ep, broken, 'b')).rejects.toThrow(/answered 404/);
    expect(broken.sent).toHaveLength(1);
  });

  it('runs per-operation steps as the operation’s caller, with its key, and remembers each for teardown', async () => {
    const scenario = scenarioWith(
      {},
      {
        setup: [
          step('charge', '/charges', [{ name: 'charge_id', source: { from: 'json', path: '$.id' } }], {
            per: 'operation',
            request: { method: 'POST', path: '/charges', headers: { 'X-Key': '{{key}}' }, body: undefined },
          }),
        ],
        teardown: [teardown('void', '/charges/{{charge_id}}/void', 'operation')],
      },
    );
    let n = 0;
    const t = scripted({});
    t.send = ((inner) => (spec, ctx) => {
      if (spec.url.endsWith('/charges')) {
        n++;
        t.sent.push(spec);
        return Promise.resolve({
          exchange: {
            id: n,
            label: spec.label,
            attack: ctx.attack,
            endpoint: ctx.endpoint,
            key: undefined,
            principal: spec.principal,
            request: { method: spec.method, url: spec.url, headers: spec.headers, body: undefined },
            response: { status: 200, headers: {}, body: `{"id":"ch_${n}"}`, bytes: 9, truncated: false },
            timings: { queued: 0 },
          },
        });
      }
      return inner(spec, ctx);
    })(t.send.bind(t));
    const setup = runSetup(scenario);
    const ep = scenario.endpoints[0] as ResolvedEndpoint;
    const a = await setup.operation(ep, { id: 1, principal: 'default', key: 'k1' }, t, 'concurrent-burst');
    const b = await setup.operation(ep, { id: 2, principal: 'bob', key: 'k2' }, t, 'concurrent-burst');
    expect([a.values, b.values]).toEqual([{ charge_id: 'ch_1' }, { charge_id: 'ch_2' }]);
    expect(t.sent.map((s) => [s.principal, s.headers['Authorization'], s.headers['X-Key']])).toEqual([
      ['default', undefined, 'k1'],
      ['bob', 'Bearer bob', 'k2'],
    ]);
    expect(setup.teardownsDue()).toBe(2);
    const down = scripted({});
    const outcome = await setup.teardown(down, Number.POSITIVE_INFINITY, () => 0);
    // The most recent operation first; a 404 is reported, not thrown.
    expect(down.sent.map((s) => new URL(s.url).pathname)).toEqual(['/charges/ch_2/void', '/charges/ch_1/void']);
    expect(down.sent.every((s) => s.phase === 'teardown')).toBe(true);
    expect(outcome.problems).toEqual([
      `teardown void (endpoint refund, operation 2): POST /charges/ch_2/void answered 404, expected 2xx: {"error":"no route"}`,
      `teardown void (endpoint refund, operation 1): POST /charges/ch_1/void answered 404, expected 2xx: {"error":"no route"}`,
    ]);
  });

  it('tears down only what was captured, the scenario last, and stops at its deadline', async () => {
    const scenario = scenarioWith({
      setup: [
        step('customer', '/customers', [{ name: 'customer_id', source: { from: 'json', path: '$.id' } }]),
        step('fail', '/nope'),
      ],
      teardown: [teardown('delete', '/customers/{{customer_id}}/delete'), teardown('never', '/x/{{never_captured}}')],
    });
    const setup = runSetup(scenario);
    await expect(setup.scenario(scripted({ 'POST /customers': { body: { id: 'cus_1' } } }))).rejects.toThrow(
      SetupFailedError,
    );
    const down = scripted({ 'POST /customers/cus_1/delete': { body: {} } });
    expect(await setup.teardown(down, Number.POSITIVE_INFINITY, () => 0)).toEqual({ sent: 1, problems: [] });
    expect(down.sent[0]).toMatchObject({ label: 'teardown delete', principal: 'default' });
    const late = await setup.teardown(scripted({}), 0, () => 1);
    expect(late).toEqual({ sent: 0, problems: ['1 teardown request(s) not sent: the teardown time budget ran out'] });
    expect(SCENARIO_SCOPE).toBe('(scenario)');
  });
});
