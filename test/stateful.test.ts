/**
 * Stateful scenarios end to end, against hand-written loopback targets shaped like real payment
 * APIs (test/helpers/payment-apis.ts): a refund that needs a charge that needs a customer, a
 * form-encoded API, a key in the JSON body. Each flaw must be found through the scenario's setup,
 * and its correct twin must stay silent. Also: what a failed setup, an interruption and the
 * request budget do, and that captured credentials stay out of every record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from '../src/http/exchange.js';
import type { RunEvent } from '../src/result/events.js';
import { exitCodeOf } from '../src/verdict/exit-codes.js';
import { auditYaml } from './helpers/audit-yaml.js';
import { SESSION_TOKEN, squareLike, stripeLike, type ApiServer, type StripeFlaw } from './helpers/payment-apis.js';

const open: ApiServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function stripe(flaw: StripeFlaw = 'none'): Promise<ApiServer> {
  const s = await stripeLike(flaw);
  open.push(s);
  return s;
}

function recorder(): { events: RunEvent[]; exchanges: () => Exchange[]; onEvent: (e: RunEvent) => void } {
  const events: RunEvent[] = [];
  return {
    events,
    exchanges: () => events.flatMap((e) => (e.type === 'exchange' ? [e.exchange] : [])),
    onEvent: (e) => events.push(e),
  };
}

const refundScenario = (url: string, extra = ''): string => `version: 1
name: stripe-refunds
target:
  baseUrl: ${url}
  headers: { Authorization: 'Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc' }
  timeout: 5s
setup:
  - name: customer
    request: { path: /v1/customers, form: { email: 'audit+{{uuid}}@example.test' } }
    capture: { customer_id: $.id }
teardown:
  - name: delete-customer
    request: { method: DELETE, path: '/v1/customers/{{customer_id}}' }
endpoints:
  refund:
    setup:
      - name: charge
        per: operation
        request: { path: /v1/charges, form: { amount: 1000, currency: usd, customer: '{{customer_id}}' } }
        capture: { charge_id: $.id, charge_ref: { header: Location, pattern: '/charges/([^/]+)$' } }
    teardown:
      - name: void
        request: { path: '/v1/charges/{{charge_ref}}/void' }
    request:
      path: '/v1/charges/{{charge_id}}/refunds'
      form: { amount: 400 }
    observe:
      - responseId: $.id
      - http: { path: '/v1/charges/{{charge_id}}/refunds?key={{key}}', count: $.count }
    suite: none
    attacks:
      concurrent-burst: { copies: 6, rounds: 2, sync: barrier }
      sequential-replay: { replays: 2, delayMs: 0 }
${extra}`;

describe('a refund that needs a charge that needs a customer (per-operation setup)', () => {
  it('finds a refund whose key check races, through a fresh charge per operation', async () => {
    const api = await stripe('refund-race');
    const rec = recorder();
    const r = await auditYaml(refundScenario(api.url), { onEvent: rec.onEvent });
    const burst = r.findings.filter((f) => f.attack === 'concurrent-burst').map((f) => f.kind);
    expect(burst).toContain('duplicate-write');
    const f = r.findings.find((x) => x.kind === 'duplicate-write');
    // The finding shows the charge its refunds were sent for, as setup, before them.
    expect(f?.exchanges[0]).toMatchObject({ label: 'setup charge', phase: 'setup' });
    const charge = /"id":"(ch_\d+)"/.exec(f?.exchanges[0]?.response?.body ?? '')?.[1];
    expect(charge).toBeDefined();
    expect(
      f?.exchanges
        .filter((e) => e.phase === undefined && e.burst !== undefined)
        .every((e) => e.request.url.endsWith(`/v1/charges/${charge ?? '?'}/refunds`)),
    ).toBe(true);
    expect(f?.reproduce.curl[0]).toContain('/v1/charges');
    // One customer for the run, one charge per operation (each burst round, each replay series).
    const setups = rec.exchanges().filter((e) => e.phase === 'setup');
    expect(setups.filter((e) => e.label === 'setup customer')).toHaveLength(1);
    expect(setups.filter((e) => e.label === 'setup charge')).toHaveLength(3);
    // Setup requests are never attributed to a key.
    expect(setups.every((e) => e.key === undefined)).toBe(true);
  });

  it('finds a refund whose key is scoped by the charge’s state, so a retry after the first refund executes again', async () => {
    const api = await stripe('refund-scope');
    const r = await auditYaml(refundScenario(api.url));
    expect(r.findings.filter((f) => f.attack === 'sequential-replay').map((f) => f.kind)).toContain('duplicate-write');
    expect(r.findings.filter((f) => f.attack === 'concurrent-burst')).toEqual([]);
  });

  it('stays silent on the correct refund API, and tears down every charge and the customer after the audit', async () => {
    const api = await stripe('none');
    const rec = recorder();
    const r = await auditYaml(refundScenario(api.url), { onEvent: rec.onEvent });
    expect(r.findings).toEqual([]);
    expect(r.attacks.map((a) => [a.attack, a.status])).toEqual([
      ['concurrent-burst', 'passed'],
      ['sequential-replay', 'passed'],
    ]);
    expect(r.status).toBe('completed');
    expect(r.errors).toEqual([]);
    // Every operation's charge voided, the most recent first, then the customer.
    expect(api.cleaned).toHaveLength(4);
    expect(api.cleaned.at(-1)).toBe('customer cus_1');
    const voided = api.cleaned.slice(0, 3).map((c) => Number(/^charge ch_(\d+)$/.exec(c)?.[1]));
    expect(voided).toEqual([...voided].sort((a, b) => b - a));
    const teardown = rec.exchanges().filter((e) => e.phase === 'teardown');
    expect(teardown.map((e) => e.label)).toEqual([
      'teardown void',
      'teardown void',
      'teardown void',
      'teardown delete-customer',
    ]);
    // Numbered after the run's own exchanges, counted in the run's requests.
    const ids = rec.exchanges().map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(r.requests).toBe(rec.exchanges().length);
  });
});

describe('a form-encoded API (Stripe payment intents)', () => {
  const intents = (url: string): string => `version: 1
name: stripe-intents
target: { baseUrl: ${url} }
endpoints:
  intent:
    request:
      path: /v1/payment_intents
      form: { amount: 2000, currency: usd, description: order 42, metadata: { order: o-42 } }
    vary: { description: string }
    observe:
      - responseId: $.id
      - http: { path: '/v1/payment_intents?key={{key}}', count: $.count }
    suite: none
    attacks: { payload-mismatch: { runs: 40 }, equivalent-payload: {}, missing-key: {} }
`;

  it('finds a fingerprint that leaves a form field out: the changed request gets the stored answer', async () => {
    const api = await stripe('intent-fingerprint');
    const rec = recorder();
    const r = await auditYaml(intents(api.url), { onEvent: rec.onEvent });
    const f = r.findings.find((x) => x.attack === 'payload-mismatch');
    expect(f?.kind).toBe('mismatch-replayed');
    expect(f?.message).toContain('Smallest change found: form description');
    // Sent as a form, bracket names and all, with its media type.
    const sent = rec.exchanges().find((e) => e.attack === 'payload-mismatch' && e.label.endsWith('original'));
    expect(sent?.request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.request.body).toBe('amount=2000&currency=usd&description=order+42&metadata%5Border%5D=o-42');
    expect(r.findings.filter((x) => x.attack !== 'payload-mismatch')).toEqual([]);
  });

  it('stays silent on the correct form API, every equivalent form replayed', async () => {
    const api = await stripe('none');
    const rec = recorder();
    const r = await auditYaml(intents(api.url), { onEvent: rec.onEvent });
    expect(r.findings).toEqual([]);
    expect(r.attacks.map((a) => [a.attack, a.status])).toEqual([
      ['payload-mismatch', 'passed'],
      ['equivalent-payload', 'passed'],
      ['missing-key', 'passed'],
    ]);
    const retries = rec
      .exchanges()
      .filter((e) => e.attack === 'equivalent-payload' && / retry$/.test(e.label))
      .map((e) => [e.label, e.request.body]);
    expect(retries).toEqual([
      ['reordered retry', 'metadata%5Border%5D=o-42&description=order+42&currency=usd&amount=2000'],
      ['whitespace retry', 'amount=2000&currency=usd&description=order%2042&metadata%5Border%5D=o-42'],
      ['volatile-headers retry', 'amount=2000&currency=usd&description=order+42&metadata%5Border%5D=o-42'],
      ['escapes retry', 'amount=2000&currency=usd&description=order+42&metadata%5border%5d=o-42'],
    ]);
  });
});

describe('a key in the JSON body (Square)', () => {
  const payments = (url: string): string => `version: 1
name: square
target: { baseUrl: ${url} }
endpoints:
  payment:
    request:
      path: /v2/payments
      body: { source_id: 'cnon:card-nonce-ok', amount_money: { amount: 100, currency: USD } }
    key: { body: idempotency_key }
    observe:
      - responseId: $.payment.id
      - http: { path: '/v2/payments?key={{key}}', count: $.count }
    suite: none
    attacks:
      concurrent-burst: { copies: 6, rounds: 2, sync: barrier }
      sequential-replay: {}
      missing-key: {}
      key-format: { runs: 0, prefixLengths: [70] }
`;

  it('finds the race when the key travels in the body', async () => {
    const api = await squareLike('race');
    open.push(api);
    const rec = recorder();
    const r = await auditYaml(payments(api.url), { onEvent: rec.onEvent });
    expect(r.findings.filter((f) => f.attack === 'concurrent-burst').map((f) => f.kind)).toContain('duplicate-write');
    const first = rec.exchanges().find((e) => e.attack === 'concurrent-burst');
    expect(JSON.parse(first?.request.body ?? '{}')).toEqual({
      source_id: 'cnon:card-nonce-ok',
      amount_money: { amount: 100, currency: 'USD' },
      idempotency_key: first?.key,
    });
    expect(Object.keys(first?.request.headers ?? {}).map((h) => h.toLowerCase())).not.toContain('idempotency-key');
  });

  it('stays silent on the correct API; the request without a key has no key field, and the header-case probe is skipped', async () => {
    const api = await squareLike('none');
    open.push(api);
    const rec = recorder();
    const r = await auditYaml(payments(api.url), { onEvent: rec.onEvent });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
    const noKey = rec.exchanges().find((e) => e.attack === 'missing-key');
    expect(JSON.parse(noKey?.request.body ?? '{}')).not.toHaveProperty('idempotency_key');
    expect(r.attacks.find((a) => a.attack === 'key-format')?.notes).toContain(
      'header-name case not probed: the key travels in the body field idempotency_key, not in a header',
    );
  });
});

describe('when setup fails, stops or runs out', () => {
  it('reports an attack whose setup failed as not audited, with the target’s answer, never a finding', async () => {
    const api = await stripe('refund-race');
    const yaml = refundScenario(api.url).replace("customer: '{{customer_id}}'", 'customer: cus_missing');
    const r = await auditYaml(yaml);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe('incomplete');
    for (const a of r.attacks) {
      expect(a.status).toBe('error');
      expect(a.reason).toMatch(
        /^setup step 'charge' \(endpoint refund, operation 1\): POST \/v1\/charges answered 404, expected 2xx: \{"error":\{"message":"no such customer: cus_missing"\}\}$/,
      );
    }
    // The customer was created, so it is deleted; no charge exists to void.
    expect(api.cleaned).toEqual(['customer cus_1']);
  });

  it('audits nothing when the scenario’s own setup fails, and says why', async () => {
    const api = await stripe('none');
    const yaml = refundScenario(api.url).replace('path: /v1/customers,', 'path: /v1/customerz,');
    const r = await auditYaml(yaml);
    expect(r.status).toBe('incomplete');
    expect(r.attacks.map((a) => a.status)).toEqual(['error', 'error']);
    expect(r.errors[0]).toMatchObject({ code: 'IDEM_SETUP_FAILED' });
    expect(r.errors[0]?.message).toContain("setup step 'customer' (scenario setup): POST /v1/customerz answered 404");
    expect(api.calls).toEqual([]);
  });

  it('tears down what was set up when the run is interrupted', async () => {
    const api = await stripe('none');
    const ac = new AbortController();
    const r = await auditYaml(refundScenario(api.url), {
      signal: ac.signal,
      interruptGraceMs: 100,
      onEvent: (e) => {
        if (e.type === 'exchange' && e.exchange.label.startsWith('round1')) ac.abort();
      },
    });
    expect(r.status).toBe('interrupted');
    expect(api.cleaned).toEqual(['charge ch_2', 'customer cus_1']);
  });

  it('reports a failed teardown as a warning that changes no verdict', async () => {
    const api = await stripe('refund-race');
    const r = await auditYaml(
      refundScenario(api.url).replace(
        "path: '/v1/charges/{{charge_ref}}/void'",
        "path: '/v1/charges/{{charge_ref}}/explode'",
      ),
    );
    expect(r.findings.map((f) => f.kind)).toContain('duplicate-write');
    expect(exitCodeOf(r)).toBe(1);
    const warning = r.errors.find((e) => e.code === 'IDEM_TEARDOWN_FAILED');
    expect(warning?.message).toMatch(
      /^teardown did not complete: teardown void \(endpoint refund, operation \d+\): POST \/v1\/charges\/ch_\d+\/explode answered 404, expected 2xx/,
    );
    expect(r.errors.map((e) => e.code)).toEqual(['IDEM_TEARDOWN_FAILED']);
    // The customer's teardown still ran after the failing ones.
    expect(api.cleaned).toEqual(['customer cus_1']);
  });

  it('counts setup requests against the request budget', async () => {
    const api = await stripe('none');
    const r = await auditYaml(refundScenario(api.url), { maxRequests: 2 });
    // The customer and the first charge used the budget: the refunds could not be sent.
    expect(r.status).toBe('incomplete');
    expect(r.attacks[0]?.reason).toBe('request budget of 2 requests exhausted');
    expect(api.calls.filter((c) => c.startsWith('POST /v1/charges/:id/refunds'))).toEqual([]);
    // Teardown still went out, on its own allowance.
    expect(api.cleaned).toEqual(['charge ch_2', 'customer cus_1']);
  });

  it('keeps a captured credential out of every record, from the answer it came in on to the requests that send it', async () => {
    const api = await stripe('none');
    const rec = recorder();
    const yaml = refundScenario(api.url)
      .replace(
        'setup:\n  - name: customer',
        'setup:\n  - name: login\n    request: { path: /v1/login }\n    capture: { session: $.access_token }\n  - name: customer',
      )
      .replace(
        "headers: { Authorization: 'Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc' }",
        "headers: { X-Ref: '{{session}}' }",
      );
    const r = await auditYaml(yaml, { onEvent: rec.onEvent });
    expect(r.findings).toEqual([]);
    const text = JSON.stringify(rec.events) + JSON.stringify(r);
    expect(text).not.toContain(SESSION_TOKEN);
    // It was sent: the customer step (after login) and the audited requests carry it, redacted.
    const customer = rec.exchanges().find((e) => e.label === 'setup customer');
    expect(customer?.request.headers['X-Ref']).toBe('[REDACTED]');
    const login = rec.exchanges().find((e) => e.label === 'setup login');
    expect(login?.request.headers).not.toHaveProperty('X-Ref');
  });
});
