import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../scenario/types.js';
import { storeAudit } from './store-audit.js';
import { modelTarget, runFake } from '../testing/index.js';
import type { ObserverInstance } from '../observers/types.js';

interface Rec {
  key: string;
  pttlMs: number;
  state: string | null;
  inProgress: boolean;
}

const DAY = 86_400_000;

/**
 * A store-reading observer over records the test controls, shaped like the redis observer's facts;
 * `reads` lists what each successive read returns (the last one repeats).
 */
function storeObserver(reads: (key: string) => Rec[][]): ObserverInstance & { reads: number } {
  const o = {
    reads: 0,
    count(key: string) {
      const all = reads(key);
      const records = all[Math.min(o.reads++, all.length - 1)] ?? [];
      const facts: Record<string, JsonValue> = {
        store: 'redis',
        key,
        records: records.map((r) => ({ ...r })),
        orphans: 0,
      };
      return Promise.resolve({ observer: 'redis', count: records.length, detail: '', evidence: [], facts });
    },
  };
  return o;
}

const done = (key: string, pttlMs = DAY - 5): Rec => ({ key: `idem:${key}`, pttlMs, state: 'done', inProgress: false });

describe('store-audit', () => {
  it('stays silent on one record with the full TTL, and keeps the records as a metric', async () => {
    const r = await runFake(storeAudit, { target: modelTarget(), observe: [storeObserver((k) => [[done(k)]])] });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    const store = r.metrics['store'] as unknown as { records: Rec[] };
    expect(store.records).toHaveLength(1);
    expect(store.records[0]?.state).toBe('done');
    expect(r.requests).toHaveLength(1);
  });

  it('finds a record expiring long before the TTL the contract promises, at once', async () => {
    const r = await runFake(storeAudit, { target: modelTarget(), observe: [storeObserver((k) => [[done(k, 800)]])] });
    expect(r.kinds()).toEqual(['ttl-too-short']);
    expect(r.findings[0]?.message).toMatch(/expires in 0\.8 s \(PTTL 800 ms\), although the contract promises 24\.0 h/);
    // Within the slack of the contract it is fine.
    const close = await runFake(storeAudit, {
      target: modelTarget(),
      contract: { ttlMs: 60_000 },
      observe: [storeObserver((k) => [[done(k, 59_500)]])],
    });
    expect(close.findings).toEqual([]);
  });

  it('finds several records for one logical key', async () => {
    const r = await runFake(storeAudit, {
      target: modelTarget(),
      observe: [storeObserver((k) => [[done(k), { ...done(k), key: `idem:${k}:req-2` }]])],
    });
    expect(r.kinds()).toEqual(['duplicate-record']);
    expect(r.findings[0]?.message).toMatch(/left 2 records in the store: idem:\S+, idem:\S+:req-2\.$/);
  });

  it('finds a record still in progress after the answer, once settleMs has passed, and only then', async () => {
    const stuck = storeObserver((k) => [[{ ...done(k), state: 'in-flight', inProgress: true }]]);
    const r = await runFake(storeAudit, { target: modelTarget(), observe: [stuck], options: { settleMs: 100 } });
    expect(r.kinds()).toEqual(['stuck-in-progress']);
    expect(r.findings[0]?.message).toMatch(
      /^100 ms after the request with key \S+ was answered 201, its record is still 'in-flight'\.$/,
    );
    expect(stuck.reads).toBe(2);
    expect(r.now).toBeGreaterThanOrEqual(100);
    // A record completed within settleMs is fine.
    const late = storeObserver((k) => [[{ ...done(k), state: 'in-flight', inProgress: true }], [done(k)]]);
    expect((await runFake(storeAudit, { target: modelTarget(), observe: [late] })).findings).toEqual([]);
  });

  it('takes the severity from the options and notes a record that never expires', async () => {
    const r = await runFake(storeAudit, {
      target: modelTarget(),
      observe: [storeObserver((k) => [[done(k, 800), { ...done(k, -1), key: 'idem:other' }]])],
      options: { severity: 'critical' },
    });
    expect(r.findings.map((f) => [f.kind, f.severity])).toEqual([
      ['duplicate-record', 'critical'],
      ['ttl-too-short', 'critical'],
    ]);
    expect(r.notes).toContain('a record has no expiry: keys are kept forever');
  });

  it('skips without a store-reading observer, and is inconclusive without an accepted request or a record', async () => {
    const blind = await runFake(storeAudit, { target: modelTarget() });
    expect(blind.outcome).toEqual({
      kind: 'skipped',
      reason: 'no observer of this endpoint reads the idempotency store (add observe: - redis: …)',
    });
    const refused = await runFake(storeAudit, {
      target: () => ({ status: 400 }),
      observe: [storeObserver(() => [[]])],
    });
    expect(refused.outcome.kind).toBe('inconclusive');
    const empty = await runFake(storeAudit, { target: modelTarget(), observe: [storeObserver(() => [[]])] });
    expect(empty.outcome.kind).toBe('inconclusive');
    expect(empty.outcome.reason).toMatch(/the redis observer found no record for key \S+ after a successful answer/);
  });
});
