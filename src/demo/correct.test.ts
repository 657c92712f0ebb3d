import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENT, burst, get, ledger, newKey, post, rowsFor } from './__fixtures__/client.js';
import { startDemoServer, type DemoServer } from './index.js';

// The correct layer, on the `correct` prefix of a server with every flaw switched on: enabling
// flaws elsewhere must not leak into it.
let server: DemoServer;
let base: string;
const V = '/correct';

beforeAll(async () => {
  server = await startDemoServer({ flaws: new Set(['race', 'no-fingerprint', 'ignore-key']) });
  base = server.url;
});
afterAll(async () => {
  await server.close();
});

describe('correct layer: key validation', () => {
  it('rejects a missing key with 400 idempotency_key_missing and executes nothing', async () => {
    const before = (await ledger(base, 'correct')).count;
    const r = await post(base, `${V}/payments`, PAYMENT);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'idempotency_key_missing' });
    expect((await ledger(base, 'correct')).count).toBe(before);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'has space'],
    ['a non-ASCII byte', 'caf\u00e9'],
  ])('rejects a key with %s as idempotency_key_invalid', async (_label, key) => {
    const r = await post(base, `${V}/payments`, PAYMENT, { key });
    expect(r.status).toBe(400);
    expect(r.body['error']).toBe('idempotency_key_invalid');
    expect(await rowsFor(base, 'correct', key)).toBe(0);
  });

  it('rejects a repeated Idempotency-Key header with 400, never 5xx', async () => {
    const r = await post(base, `${V}/payments`, PAYMENT, {
      extraHeaders: [
        ['Idempotency-Key', 'first-key'],
        ['Idempotency-Key', 'second-key'],
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body['error']).toBe('idempotency_key_invalid');
  });

  it('accepts a 255-character key and any header-name case', async () => {
    const key = 'x'.repeat(255);
    expect((await post(base, `${V}/payments`, PAYMENT, { key })).status).toBe(201);
    const other = newKey();
    const r = await post(base, `${V}/payments`, PAYMENT, { headers: { 'IDEMPOTENCY-KEY': other } });
    expect(r.status).toBe(201);
    expect(await rowsFor(base, 'correct', other)).toBe(1);
  });
});

describe('correct layer: replay', () => {
  it('replays byte-identically with Idempotent-Replayed: true and executes once', async () => {
    const key = newKey();
    const first = await post(base, `${V}/payments`, PAYMENT, { key });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ...PAYMENT, status: 'succeeded' });
    expect(first.body['id']).toMatch(/^pay_\d+$/);
    expect(first.headers.get('location')).toBe(`${V}/payments/${String(first.body['id'])}`);
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    for (let i = 0; i < 3; i++) {
      const again = await post(base, `${V}/payments`, PAYMENT, { key });
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    const view = await ledger(base, 'correct', key);
    expect(view).toMatchObject({ key, count: 1 });
    expect(view.rows[0]).toMatchObject({ kind: 'payment', id: first.body['id'], key, principal: 'anonymous' });
  });

  it('serves 20 concurrent duplicates with one execution, the rest 409 or replays, never 5xx', async () => {
    const key = newKey();
    const replies = await burst(base, `${V}/payments`, PAYMENT, 20, { key });
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const ids = new Set(replies.filter((r) => r.status === 201).map((r) => r.body['id']));
    expect(ids.size).toBe(1);
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(r.body['error']).toBe('request_in_progress');
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(await rowsFor(base, 'correct', key)).toBe(1);
    // IK-25: the conflicts were not stored; a later retry gets the success.
    await sleep(60);
    const later = await post(base, `${V}/payments`, PAYMENT, { key });
    expect(later.status).toBe(201);
    expect(ids.has(later.body['id'])).toBe(true);
  });

  it('treats reordered keys and other whitespace as the same request', async () => {
    const key = newKey();
    const first = await post(base, `${V}/payments`, '{"amount":1000,"currency":"usd","customer":"cus_42"}', { key });
    const reordered = await post(
      base,
      `${V}/payments`,
      '{ "customer" : "cus_42",\n  "currency": "usd", "amount": 1000 }',
      {
        key,
      },
    );
    expect(reordered.status).toBe(201);
    expect(reordered.text).toBe(first.text);
    expect(await rowsFor(base, 'correct', key)).toBe(1);
  });

  it('answers 409 to a duplicate while the original is in flight, and 422 to a mismatch then', async () => {
    const key = newKey();
    const slow = post(base, `${V}/payments`, PAYMENT, { key, headers: { 'x-demo-processing-ms': '300' } });
    await sleep(60);
    const dup = await post(base, `${V}/payments`, PAYMENT, { key });
    const mismatch = await post(base, `${V}/payments`, { ...PAYMENT, amount: 5 }, { key });
    expect(dup.status).toBe(409);
    expect(mismatch.status).toBe(422);
    expect((await slow).status).toBe(201);
    expect(await rowsFor(base, 'correct', key)).toBe(1);
  });
});

describe('correct layer: fingerprint', () => {
  it.each([
    ['another amount', { ...PAYMENT, amount: 2000 }],
    ['another customer', { ...PAYMENT, customer: 'cus_43' }],
    ['an added field', { ...PAYMENT, note: 'x' }],
  ])('rejects the same key with %s as 422 and keeps the original', async (_label, changed) => {
    const key = newKey();
    const first = await post(base, `${V}/payments`, PAYMENT, { key });
    const second = await post(base, `${V}/payments`, changed, { key });
    expect(second.status).toBe(422);
    expect(second.body).toEqual({ error: 'idempotency_key_mismatch', detail: expect.any(String) as unknown });
    expect(await rowsFor(base, 'correct', key)).toBe(1);
    // IK-22: the mismatch did not overwrite the stored request.
    const original = await post(base, `${V}/payments`, PAYMENT, { key });
    expect(original.text).toBe(first.text);
  });

  it('treats another query string as a mismatch', async () => {
    const key = newKey();
    await post(base, `${V}/payments`, PAYMENT, { key });
    expect((await post(base, `${V}/payments?expand=customer`, PAYMENT, { key })).status).toBe(422);
  });
});

describe('correct layer: rejections are not bound to the key (IK-14)', () => {
  it.each([
    ['an invalid body', { amount: -1, currency: 'usd', customer: 'cus_42' }],
    ['broken JSON', '{"amount": 10'],
  ])('executes a valid request after %s with the same key', async (_label, bad) => {
    const key = newKey();
    const rejected = await post(base, `${V}/payments`, bad, { key });
    expect(rejected.status).toBe(400);
    expect(rejected.body['error']).toBe('invalid_request');
    expect(rejected.body['detail']).toEqual(expect.any(String));
    const valid = await post(base, `${V}/payments`, PAYMENT, { key });
    expect(valid.status).toBe(201);
    expect(valid.headers.get('idempotent-replayed')).toBeNull();
    expect(await rowsFor(base, 'correct', key)).toBe(1);
  });

  it('releases the key when execution fails, so the retry executes once', async () => {
    const key = newKey();
    const failed = await post(base, `${V}/payments`, PAYMENT, { key, headers: { 'x-demo-fail': '1' } });
    expect(failed.status).toBe(500);
    expect(await rowsFor(base, 'correct', key)).toBe(0);
    expect((await post(base, `${V}/payments`, PAYMENT, { key })).status).toBe(201);
    expect(await rowsFor(base, 'correct', key)).toBe(1);
  });
});

describe('correct layer: scope', () => {
  it('executes the same key separately for another principal', async () => {
    const key = newKey();
    const alice = await post(base, `${V}/payments`, PAYMENT, { key, principal: 'alice' });
    const bob = await post(base, `${V}/payments`, PAYMENT, { key, principal: 'bob' });
    expect(bob.status).toBe(201);
    expect(bob.body['id']).not.toBe(alice.body['id']);
    const view = await ledger(base, 'correct', key);
    expect(view.rows.map((r) => r.principal).sort()).toEqual(['Bearer alice', 'Bearer bob']);
  });

  it('keeps keys differing only in case apart', async () => {
    const key = newKey('Case');
    await post(base, `${V}/payments`, PAYMENT, { key });
    const lower = await post(base, `${V}/payments`, PAYMENT, { key: key.toLowerCase() });
    expect(lower.headers.get('idempotent-replayed')).toBeNull();
    expect(await rowsFor(base, 'correct', key)).toBe(1);
    expect(await rowsFor(base, 'correct', key.toLowerCase())).toBe(1);
  });

  it('keeps two 100-character keys sharing a 64-character prefix apart', async () => {
    const prefix = newKey('long').padEnd(64, 'p');
    const a = `${prefix}${'a'.repeat(36)}`;
    const b = `${prefix}${'b'.repeat(36)}`;
    expect((await post(base, `${V}/payments`, PAYMENT, { key: a })).status).toBe(201);
    const second = await post(base, `${V}/payments`, PAYMENT, { key: b });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await rowsFor(base, 'correct', a)).toBe(1);
    expect(await rowsFor(base, 'correct', b)).toBe(1);
  });

  it('keeps a refund with a payment’s key apart from the payment', async () => {
    const key = newKey();
    const payment = await post(base, `${V}/payments`, PAYMENT, { key });
    const refund = await post(base, `${V}/refunds`, { payment: payment.body['id'], amount: 500 }, { key });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ payment: payment.body['id'], amount: 500, status: 'succeeded' });
    expect(refund.body['id']).toMatch(/^re_\d+$/);
    const view = await ledger(base, 'correct', key);
    expect(view.rows.map((r) => r.kind).sort()).toEqual(['payment', 'refund']);
  });
});

describe('correct layer: expiry', () => {
  it('replays within the TTL and executes again after it', async () => {
    const short = await startDemoServer({ flaws: new Set(), ttlMs: 400, processingMs: 0 });
    try {
      const key = newKey();
      const first = await post(short.url, `${V}/payments`, PAYMENT, { key });
      const within = await post(short.url, `${V}/payments`, PAYMENT, { key });
      expect(within.text).toBe(first.text);
      await sleep(450);
      const after = await post(short.url, `${V}/payments`, PAYMENT, { key });
      expect(after.status).toBe(201);
      expect(after.body['id']).not.toBe(first.body['id']);
      expect(await rowsFor(short.url, 'correct', key)).toBe(2);
    } finally {
      await short.close();
    }
  });

  it('serves the created payment at its Location', async () => {
    const created = await post(base, `${V}/payments`, PAYMENT, { key: newKey() });
    const fetched = await get(base, created.headers.get('location') ?? '');
    expect(fetched.status).toBe(200);
    expect(fetched.text).toBe(created.text);
  });
});
