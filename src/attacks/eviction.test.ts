import { describe, expect, it } from 'vitest';
import { RequestBudgetError } from '../errors/errors.js';
import type { ObserverInstance } from '../observers/types.js';
import { eviction } from './eviction.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

const small = { keys: 3, requests: 30, rate: 10_000 };

describe('eviction', () => {
  it('finds keys an LRU-capped store forgot under traffic, with how many and after how much', async () => {
    const r = await runFake(eviction, { target: modelTarget({ storeCapacity: 20 }), options: small });
    expect(r.kinds()).toEqual(['key-evicted']);
    const f = r.findings[0];
    expect(f?.severity).toBe('high');
    expect(f?.message).toMatch(
      /^3 of 3 keys planted before 30 accepted requests with fresh keys \(of 30 sent, over \d+ ms\) executed again when replayed \(key \S+: 2 side effects\), although the contract keeps keys for 24 h: the store evicted them under load\.$/,
    );
    expect(f?.observed).toBe('3 of 3 planted keys forgotten after 30 requests');
    expect(f?.exchanges.map((e) => e.label)).toEqual([
      'planted[1]',
      'planted[1] replay',
      'planted[1] after the traffic',
    ]);
    expect(f?.sideEffects).toMatchObject({ expected: 1, observed: 2 });
    expect(r.metrics['eviction']).toMatchObject({
      planted: 3,
      judged: 3,
      evicted: 3,
      traffic: { sent: 30, accepted: 30 },
      redis: null,
    });
    // Every traffic request carried a key of its own.
    const traffic = r.requests.filter((q) => q.label.startsWith('traffic['));
    expect(new Set(traffic.map((q) => q.key)).size).toBe(30);
  });

  it('stays silent when the keys survive: a correct store, or traffic that fits the cap', async () => {
    for (const target of [modelTarget(), modelTarget({ storeCapacity: 100 })]) {
      const r = await runFake(eviction, { target, options: small });
      expect(r.findings).toEqual([]);
      expect(r.outcome).toEqual({ kind: 'ran' });
      expect(r.notes.at(-1)).toMatch(
        /^all 3 planted keys were still deduplicated after 30 accepted requests with fresh keys \(of 30 sent, over \d+ ms\)\.$/,
      );
    }
  });

  it('sends the default volume: 5 planted keys, 200 requests, 5 replays after', async () => {
    const r = await runFake(eviction, { target: modelTarget({ storeCapacity: 64 }), options: { rate: 10_000 } });
    expect(r.kinds()).toEqual(['key-evicted']);
    const labels = r.requests.map((q) => q.label.replace(/\[\d+\]/, '[]'));
    expect(labels.filter((l) => l === 'planted[]')).toHaveLength(5);
    expect(labels.filter((l) => l === 'traffic[]')).toHaveLength(200);
    expect(labels.filter((l) => l === 'planted[] after the traffic')).toHaveLength(5);
  });

  it('does not mistake a target that never deduplicates for one that evicts', async () => {
    const r = await runFake(eviction, { target: modelTarget({ honourKeys: false }), options: small });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.outcome.reason).toContain('no planted key was deduplicated on its immediate replay');
    expect(r.notes[0]).toContain('planted[1] executed again on its immediate replay (2 side effects)');
    // Nothing more was sent once there was nothing to judge.
    expect(r.requests.some((q) => q.label.startsWith('traffic['))).toBe(false);
  });

  it('is inconclusive when nothing is planted or the traffic is refused whole', async () => {
    const refused = await runFake(eviction, { target: () => ({ status: 401 }), options: small });
    expect(refused.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'no planted request was accepted (401×3), so there is no key to keep',
    });
    const model = modelTarget();
    const limited: FakeTarget = (req, env) => (req.label.startsWith('traffic[') ? { status: 429 } : model(req, env));
    const r = await runFake(eviction, { target: limited, options: small });
    expect(r.outcome.reason).toBe(
      'none of the 30 requests with fresh keys was accepted (429×30), so no load was applied',
    );
  });

  it('reports the evictions the redis observer saw, evicted or not', async () => {
    let evictedKeys = 100;
    // A stand-in for the redis observer: the ledger's count, and the server's eviction counter.
    const redis = (writes: (key: string) => number): ObserverInstance => ({
      count: (key) => {
        evictedKeys += 40;
        return Promise.resolve({
          observer: 'redis',
          count: writes(key),
          detail: 'redis',
          evidence: [],
          facts: { store: 'redis', records: [], evictedKeys, maxmemory: 1_048_576, maxmemoryPolicy: 'allkeys-lru' },
        });
      },
    });
    const writes = new Map<string, number>();
    const target: FakeTarget = (req) => {
      const key = req.key ?? '';
      // Planted keys forgotten after the traffic: their third request executes again.
      const executes = req.nth === 1 || req.label.endsWith('after the traffic');
      if (executes) writes.set(key, (writes.get(key) ?? 0) + 1);
      return executes ? { status: 201, body: { id: `${key}-${req.nth}` } } : { status: 201, body: { id: `${key}-1` } };
    };
    const r = await runFake(eviction, {
      target,
      options: small,
      observe: [redis((key) => writes.get(key) ?? 0)],
    });
    expect(r.kinds()).toEqual(['key-evicted']);
    // Three baseline counts, then three after the traffic: 100 + 3×40 before, 100 + 6×40 after.
    expect(r.findings[0]?.message).toMatch(
      / Redis evicted 120 keys meanwhile \(maxmemory 1048576 bytes, policy allkeys-lru\)\.$/,
    );
    expect(r.metrics['eviction']).toMatchObject({
      redis: { evictedKeys: 120, maxmemory: 1_048_576, maxmemoryPolicy: 'allkeys-lru' },
    });
  });

  it('stops at the request budget once every traffic worker has settled', async () => {
    await expect(
      runFake(eviction, { target: modelTarget(), options: { ...small, concurrency: 8 }, maxRequests: 20 }),
    ).rejects.toBeInstanceOf(RequestBudgetError);
  });
});
