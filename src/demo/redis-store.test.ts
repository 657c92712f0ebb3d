import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/helpers/redis-server.js';
import { RedisKeyStore } from './redis-store.js';
import type { Scope } from './store.js';

let redis: RedisServer;
const stores: RedisKeyStore[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await redis.stop();
});

async function store(mode: 'correct' | 'racy' | 'short-ttl'): Promise<RedisKeyStore> {
  const s = await RedisKeyStore.connect({ url: redis.url, mode, shortTtlMs: 5_000 });
  stores.push(s);
  return s;
}

let n = 0;
function scope(): Scope {
  return { index: 'key', principal: 'alice', route: 'POST /payments', key: `k${++n}-${Date.now()}` };
}
const reservation = { fingerprint: 'fp', route: 'POST /payments', ttlMs: 86_400_000 };

describe('RedisKeyStore', () => {
  it('correct: of 10 concurrent reservations of one key exactly one wins (SET NX PX)', async () => {
    const s = await store('correct');
    const sc = scope();
    const results = await Promise.all(Array.from({ length: 10 }, () => s.reserve(sc, reservation)));
    expect(results.filter((r) => r.reserved)).toHaveLength(1);
    expect(results.find((r) => !r.reserved)).toMatchObject({ existing: { state: 'in-flight', fingerprint: 'fp' } });
  });

  it('racy: reading then writing lets concurrent reservations all win', async () => {
    const s = await store('racy');
    const sc = scope();
    const results = await Promise.all(Array.from({ length: 10 }, () => s.reserve(sc, reservation)));
    expect(results.filter((r) => r.reserved).length).toBeGreaterThan(1);
  });

  it('stores the record under <prefix><key>:… with the requested TTL, and complete keeps it', async () => {
    const s = await store('correct');
    const sc = scope();
    await s.reserve(sc, reservation);
    await s.complete(sc, { status: 201, headers: {}, body: '{"id":"pay_1"}' });
    const c = createClient({ url: redis.url });
    await c.connect();
    try {
      const key = s.redisKey(sc);
      expect(key.startsWith(`idem:${sc.key}:`)).toBe(true);
      expect(await c.pTTL(key)).toBeGreaterThan(86_000_000);
      expect(await s.get(sc)).toMatchObject({ state: 'done', response: { status: 201 } });
      await s.release(sc);
      expect(await s.get(sc)).toBeUndefined();
    } finally {
      await c.quit();
    }
  });

  it('short-ttl: the record expires after shortTtlMs whatever the layer asked for', async () => {
    const s = await store('short-ttl');
    const sc = scope();
    await s.reserve(sc, reservation);
    const c = createClient({ url: redis.url });
    await c.connect();
    try {
      const pttl = await c.pTTL(s.redisKey(sc));
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(5_000);
    } finally {
      await c.quit();
    }
  });
});
