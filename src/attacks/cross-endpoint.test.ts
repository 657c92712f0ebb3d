import { describe, expect, it } from 'vitest';
import type { ResolvedEndpoint } from '../scenario/types.js';
import { crossEndpoint, siblingEndpoints } from './cross-endpoint.js';
import { createStep, modelTarget, runFake, withSetup, type FakeTarget } from '../testing/index.js';

function endpoint(name: string, path: string, method = 'POST'): ResolvedEndpoint {
  return {
    name,
    request: { method, path, headers: {}, body: undefined },
    key: '{{uuid}}',
    vary: {},
    observe: [],
    attacks: [],
  };
}

const payments = { name: 'payments', path: '/shop/payments' };
const refunds = { name: 'refunds', path: '/shop/refunds', body: { payment: 'pay_1', amount: 100 } };
/** The model validates bodies against the payment's fields; refunds have their own. */
const anyBody = { validate: () => true };

describe('siblingEndpoints', () => {
  it('picks every other endpoint with the same method, whatever its path, never the same route', () => {
    const self = endpoint('pay', '/shop/payments');
    const all = [
      self,
      endpoint('refund', '/shop/refunds?x=1'),
      endpoint('capture', '/v1/orders/{{order_id}}/capture'),
      endpoint('user', '/admin/users', 'PUT'),
      endpoint('pay2', '/shop/payments'),
    ];
    expect(siblingEndpoints(all, self).map((e) => e.name)).toEqual(['refund', 'capture']);
  });
});

describe('cross-endpoint', () => {
  it("finds a key reused on the sibling endpoint answered with this endpoint's stored response, both ways", async () => {
    for (const [self, other] of [
      [payments, refunds],
      [refunds, payments],
    ] as const) {
      const r = await runFake(crossEndpoint, {
        target: modelTarget({ ...anyBody, scopeByRoute: false }),
        endpoint: self,
        otherEndpoints: [other],
      });
      expect(r.kinds()).toEqual(['cross-endpoint-replay']);
      expect(r.findings[0]?.severity).toBe('high');
      expect(r.findings[0]?.message).toMatch(
        new RegExp(
          `then on ${other.name} \\(POST ${other.path}\\), which answered 201 with ${self.name}'s stored response`,
        ),
      );
      // The other endpoint's own request went out, with its body, and a control on a fresh key.
      expect(r.requests.map((q) => [q.label, q.path])).toEqual([
        ['first', self.path],
        [`on ${other.name}`, other.path],
        [`control on ${other.name} (fresh key)`, other.path],
      ]);
      expect(r.requests[1]?.key).toBe(r.requests[0]?.key);
    }
  });

  it('stays silent on a target that scopes keys by route, and really sends the pair', async () => {
    const r = await runFake(crossEndpoint, {
      target: modelTarget(anyBody),
      endpoint: payments,
      otherEndpoints: [refunds],
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.requests.map((q) => q.label)).toEqual(['first', 'on refunds']);
  });

  it('does not take endpoints that answer alike by design ({"ok":true}) for a replay', async () => {
    const constant: FakeTarget = () => ({ status: 200, body: { ok: true }, writes: 1 });
    const r = await runFake(crossEndpoint, { target: constant, endpoint: payments, otherEndpoints: [refunds] });
    expect(r.findings).toEqual([]);
    // Not judged either way (and not an incomplete audit): a constant answer cannot show a replay.
    expect(r.outcome.kind).toBe('skipped');
    expect(r.outcome.reason).toContain('no answer can show a replay');
    expect(r.notes[0]).toContain('refunds answers a fresh key exactly as payments answered');
  });

  it('reuses the key on the endpoints the options name, noting unknown ones', async () => {
    const r = await runFake(crossEndpoint, {
      target: modelTarget(anyBody),
      endpoint: payments,
      otherEndpoints: [refunds, { name: 'users', path: '/admin/users' }],
      options: { endpoints: ['users', 'ghost'] },
    });
    expect(r.notes).toContain('unknown endpoints ignored: ghost');
    expect(r.requests.map((q) => q.path)).toEqual(['/shop/payments', '/admin/users']);
  });

  it('skips without a sibling, and is inconclusive when the first request is never accepted', async () => {
    const alone = await runFake(crossEndpoint, { target: modelTarget(), endpoint: payments });
    expect(alone.outcome.kind).toBe('skipped');
    const refused = await runFake(crossEndpoint, {
      target: () => ({ status: 400 }),
      endpoint: payments,
      otherEndpoints: [refunds],
    });
    expect(refused.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'no request pair could be judged (the first request was never accepted)',
    });
  });
});

describe('cross-endpoint to an endpoint with its own key placement and setup', () => {
  it('sends the other endpoint’s own request: its key place, its setup, its body', async () => {
    const keyIn = { in: 'form', name: 'idempotency_key' } as const;
    const refund = {
      name: 'refund',
      path: '/charges/{{charge_id}}/refunds',
      form: { amount: 100 },
      keyIn,
      setup: [createStep('charge', '/charges', 'charge_id')],
    };
    // One key table for every route, whichever place the key came in.
    const model = modelTarget({ ...anyBody, scopeByRoute: false });
    const api = withSetup((req, env) => {
      const inForm = new URLSearchParams(req.body ?? '').get('idempotency_key');
      return model(
        inForm === null
          ? req
          : { ...req, header: (n) => (n.toLowerCase() === 'idempotency-key' ? inForm : req.header(n)) },
        env,
      );
    });
    const r = await runFake(crossEndpoint, { target: api.target, endpoint: payments, otherEndpoints: [refund] });
    expect(r.kinds()).toEqual(['cross-endpoint-replay']);
    const second = r.requests.find((q) => q.label === 'on refund');
    expect(second?.path).toBe('/charges/ch_1/refunds');
    expect(second?.header('idempotency-key')).toBeUndefined();
    expect(new URLSearchParams(second?.body ?? '').get('idempotency_key')).toBe(r.requests[0]?.key);
    // The charges of both requests on the refund endpoint (the control is an operation of its own).
    expect(r.findings[0]?.exchanges.map((e) => e.label)).toEqual([
      'setup charge',
      'setup charge',
      'first',
      'on refund',
      'control on refund (fresh key)',
    ]);
  });
});
