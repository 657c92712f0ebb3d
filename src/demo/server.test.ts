import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAYMENT, burst, get, ledger, newKey, post, rowsFor } from './__fixtures__/client.js';
import {
  BODY_LIMIT_BYTES,
  DemoConfigError,
  FLAWS,
  MemoryKeyStore,
  MemoryLedger,
  startDemoServer,
  type DemoServer,
  type DemoVariant,
} from './index.js';

/** A factory handing every server the same instance per variant, as a shared database would. */
function perVariant<T>(make: () => T): (variant: DemoVariant) => T {
  const made = new Map<DemoVariant, T>();
  return (variant) => {
    const existing = made.get(variant);
    if (existing !== undefined) return existing;
    const created = make();
    made.set(variant, created);
    return created;
  };
}

let server: DemoServer;
let base: string;

beforeAll(async () => {
  server = await startDemoServer({ flaws: new Set(['race', 'case-fold']) });
  base = server.url;
});
afterAll(async () => {
  await server.close();
});

describe('demo server plumbing', () => {
  it('listens on an ephemeral port on 127.0.0.1', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('reports health with the enabled flaws, sorted', async () => {
    const r = await get(base, '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, flaws: ['case-fold', 'race'] });
  });

  it('answers JSON with an arrival timestamp on every response, errors included', async () => {
    const replies = [
      await get(base, '/health'),
      await get(base, '/nowhere'),
      await post(base, '/correct/payments', PAYMENT),
      await get(base, '/correct/ledger'),
    ];
    for (const r of replies) {
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(r.headers.get('x-demo-arrival-ns')).toMatch(/^\d+$/);
    }
    const [a, b] = replies.map((r) => BigInt(r.headers.get('x-demo-arrival-ns') ?? '0'));
    expect(b).toBeGreaterThan(a ?? 0n);
  });

  it.each([
    ['GET', '/nowhere', 404],
    ['GET', '/unknown-variant/payments', 404],
    ['GET', '/correct/payments/', 404],
    ['GET', '/correct/other', 404],
    ['GET', '/correct/payments/pay_1/extra', 404],
    ['GET', '/correct/payments', 405],
    ['PUT', '/correct/refunds', 405],
    ['POST', '/correct/ledger', 405],
    ['DELETE', '/correct/payments/pay_1', 405],
    ['POST', '/health', 405],
  ])('%s %s -> %i', async (method, path, status) => {
    const r = await get(base, path, { method });
    expect(r.status).toBe(status);
    expect(r.body['error']).toEqual(expect.any(String));
    if (status === 405) expect(r.headers.get('allow')).toMatch(/^(GET|POST)$/);
  });

  it('caps request bodies at 1 MiB with 413 and keeps serving', async () => {
    const big = JSON.stringify({ ...PAYMENT, pad: 'x'.repeat(BODY_LIMIT_BYTES) });
    const r = await post(base, '/correct/payments', big, { key: newKey() });
    expect(r.status).toBe(413);
    expect((await get(base, '/health')).status).toBe(200);
  });

  it('rejects a payment body that is not an object or has bad fields with 400', async () => {
    for (const body of [[], 'null', { amount: 1.5, currency: 'usd', customer: 'c' }, { ...PAYMENT, customer: '' }]) {
      const r = await post(base, '/correct/payments', body, { key: newKey() });
      expect(r.status).toBe(400);
      expect(r.body['error']).toBe('invalid_request');
    }
    const refund = await post(base, '/correct/refunds', { payment: '', amount: 1 }, { key: newKey() });
    expect(refund.status).toBe(400);
  });

  it('serves payments by id, 404 for unknown ids and for refund ids', async () => {
    const created = await post(base, '/correct/payments', PAYMENT, { key: newKey() });
    const id = String(created.body['id']);
    expect((await get(base, `/correct/payments/${id}`)).body).toEqual(created.body);
    expect((await get(base, '/correct/payments/pay_999999')).status).toBe(404);
    expect((await get(base, `/race/payments/${id}`)).status).toBe(404);
    const refund = await post(base, '/correct/refunds', { payment: id, amount: 1 }, { key: newKey() });
    expect((await get(base, `/correct/payments/${String(refund.body['id'])}`)).status).toBe(404);
  });

  it('lists the ledger per key (exact match) and in full', async () => {
    const key = newKey('Ledger');
    const created = await post(base, '/correct/payments', PAYMENT, { key, principal: 'alice' });
    const byKey = await ledger(base, 'correct', key);
    expect(byKey).toEqual({
      key,
      count: 1,
      rows: [
        {
          seq: expect.any(Number) as unknown,
          kind: 'payment',
          id: created.body['id'],
          key,
          principal: 'Bearer alice',
          amount: 1000,
          at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown,
        },
      ],
    });
    expect((await ledger(base, 'correct', key.toLowerCase())).count).toBe(0);
    const all = await ledger(base, 'correct');
    expect(all.key).toBeNull();
    expect(all.count).toBe(all.rows.length);
    expect(all.rows.some((r) => r.key === key)).toBe(true);
    expect(all.rows.map((r) => r.seq)).toEqual(all.rows.map((_, i) => i + 1));
  });

  it('records the side effect of a request whose client gave up, and replays it to the retry', async () => {
    const key = newKey();
    const controller = new AbortController();
    const abandoned = post(base, '/correct/payments', PAYMENT, {
      key,
      headers: { 'x-demo-processing-ms': '400' },
      signal: controller.signal,
    });
    await sleep(40);
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    expect((await post(base, '/correct/payments', PAYMENT, { key })).status).toBe(409);
    await sleep(450);
    const retry = await post(base, '/correct/payments', PAYMENT, { key });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await rowsFor(base, 'correct', key)).toBe(1);
  });

  it('executes nothing for a request whose body never completed', async () => {
    const key = newKey();
    await new Promise<void>((resolve) => {
      const req = request(`${base}/correct/payments`, {
        method: 'POST',
        headers: { 'idempotency-key': key, 'content-length': '100', 'content-type': 'application/json' },
      });
      req.on('error', () => resolve());
      req.write('{"amount": 1000, "curr');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 30);
    });
    await sleep(80);
    expect(await rowsFor(base, 'correct', key)).toBe(0);
    expect((await post(base, '/correct/payments', PAYMENT, { key })).status).toBe(201);
  });
});

describe('startDemoServer options', () => {
  it.each([{ port: -1 }, { port: 1.5 }, { processingMs: -1 }, { ttlMs: 0 }, { raceWindow: Number.NaN }])(
    'rejects %o with DemoConfigError',
    async (bad) => {
      await expect(startDemoServer({ flaws: new Set(), ...bad })).rejects.toBeInstanceOf(DemoConfigError);
    },
  );

  it('closes promptly although keep-alive connections are open, and twice without error', async () => {
    const s = await startDemoServer({ flaws: new Set(FLAWS) });
    await get(s.url, '/health');
    const started = Date.now();
    await s.close();
    await s.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('shares one store and ledger across instances (cross-node): still one execution', async () => {
    const shared = { store: perVariant(() => new MemoryKeyStore()), ledger: perVariant(() => new MemoryLedger()) };
    const [a, b] = await Promise.all([
      startDemoServer({ flaws: new Set(), ...shared }),
      startDemoServer({ flaws: new Set(), ...shared }),
    ]);
    try {
      const key = newKey();
      const replies = (
        await Promise.all([
          burst(a.url, '/correct/payments', PAYMENT, 10, { key }),
          burst(b.url, '/correct/payments', PAYMENT, 10, { key }),
        ])
      ).flat();
      expect(replies.every((r) => r.status === 201 || r.status === 409)).toBe(true);
      expect(await rowsFor(a.url, 'correct', key)).toBe(1);
      expect(await rowsFor(b.url, 'correct', key)).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('without a shared store each instance executes once (per-node memory)', async () => {
    const ledgerShared = new MemoryLedger();
    const [a, b] = await Promise.all([
      startDemoServer({ flaws: new Set(), ledger: () => ledgerShared }),
      startDemoServer({ flaws: new Set(), ledger: () => ledgerShared }),
    ]);
    try {
      const key = newKey();
      const [ra, rb] = await Promise.all([
        post(a.url, '/correct/payments', PAYMENT, { key }),
        post(b.url, '/correct/payments', PAYMENT, { key }),
      ]);
      expect(ra.body['id']).not.toBe(rb.body['id']);
      expect(await rowsFor(a.url, 'correct', key)).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
