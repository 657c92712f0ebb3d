import { describe, expect, it } from 'vitest';
import { DEFAULT_SUITE } from './index.js';
import { latencyOverhead } from './latency-overhead.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

interface Latency {
  unit: string;
  first: { count: number; p50: number; p99: number };
  replay?: { count: number; p50: number };
  unkeyed?: { count: number; p50: number };
  overhead?: { p50: number; p99: number };
  limit?: Record<string, number>;
}

/**
 * Keyed first-time requests take `keyCostMs` more than the rest (the key store's round trip);
 * replays and unkeyed requests take 5 ms. Without `keyRequired`, an unkeyed request executes.
 */
function costly(keyCostMs: number, keyRequired = false): FakeTarget {
  const model = modelTarget({ keyRequired });
  return async (req, env) => {
    const a = await model(req, env);
    const first = req.key !== undefined && req.nth === 1;
    return { ...a, latencyMs: 5 + (first ? keyCostMs : 0) };
  };
}

const samples = { samples: 30, rate: 500, warmup: 3 };

describe('latency-overhead', () => {
  it('measures a per-key cost of 40 ms as 40 ms of overhead and reports it above maxOverhead', async () => {
    const r = await runFake(latencyOverhead, {
      target: costly(40),
      options: samples,
      contract: { maxOverhead: { p50: 15 } },
    });
    const m = r.metrics['latency'] as unknown as Latency;
    expect(m.first.count).toBe(30);
    expect(m.replay?.count).toBe(30);
    expect(m.unkeyed?.count).toBe(30);
    // Each timed request had the target to itself; parallel lanes ran between them.
    expect(r.requests.every((q) => q.exclusive)).toBe(true);
    expect(r.exclusiveSections).toBe(r.requests.length);
    // HDR histograms keep 3 significant digits.
    expect(m.first.p50).toBeCloseTo(45, 1);
    expect(m.overhead?.p50).toBeCloseTo(40, 1);
    expect(m.limit).toEqual({ p50: 15 });
    expect(r.findings.map((f) => [f.kind, f.severity])).toEqual([['overhead-exceeded', 'low']]);
    expect(r.findings[0]?.message).toMatch(
      /^Over 30 interleaved rounds at ≤ 500 req\/s, first-time keyed requests took p50 45(\.\d+)? ms against p50 5(\.\d+)? ms without a key: the key adds p50 40(\.\d+)? ms\.$/,
    );
    expect(r.notes.join('\n')).toMatch(/; key overhead 40(\.\d+)?\/40(\.\d+)?$/);
    // The slowest first-time and unkeyed requests are the evidence.
    expect(r.findings[0]?.exchanges).toHaveLength(6);
  });

  it('takes the severity from the options', async () => {
    const r = await runFake(latencyOverhead, {
      target: costly(40),
      options: { ...samples, severity: 'high' },
      contract: { maxOverhead: { p99: 20 } },
    });
    expect(r.findings.map((f) => f.severity)).toEqual(['high']);
  });

  it('stays silent when the key costs nothing measurable and the limit is generous', async () => {
    const r = await runFake(latencyOverhead, {
      target: costly(0),
      options: samples,
      contract: { maxOverhead: { p50: 15 } },
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect((r.metrics['latency'] as unknown as Latency).overhead?.p50).toBe(0);
  });

  it('without maxOverhead it only measures: figures in the result, no finding', async () => {
    const r = await runFake(latencyOverhead, { target: costly(40), options: samples });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect((r.metrics['latency'] as unknown as Latency).overhead?.p50).toBeCloseTo(40, 1);
  });

  it('on an endpoint that refuses unkeyed requests there is no baseline: inconclusive when a limit is set', async () => {
    const r = await runFake(latencyOverhead, {
      target: costly(40, true),
      options: samples,
      contract: { maxOverhead: { p99: 20 } },
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    const m = r.metrics['latency'] as unknown as Latency;
    expect(m.unkeyed).toBeUndefined();
    expect(m.first.count).toBe(30);
    expect(r.notes.join('\n')).toMatch(/unkeyed requests are not accepted \(400×1\)/);
  });

  it('with unkeyed: false sends no request without a key, not even a probe', async () => {
    const r = await runFake(latencyOverhead, { target: costly(0), options: { ...samples, unkeyed: false } });
    expect(r.findings).toEqual([]);
    expect((r.metrics['latency'] as unknown as Latency).unkeyed).toBeUndefined();
    // 3 warmup + 30 measured rounds of one first-time request and its replay, nothing else.
    expect(r.requests).toHaveLength(66);
    expect(r.requests.every((q) => q.key !== undefined)).toBe(true);
  });

  it('is inconclusive when too few first-time requests are accepted', async () => {
    const r = await runFake(latencyOverhead, { target: () => ({ status: 503 }), options: samples });
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.outcome.reason).toContain('too few first-time keyed requests were accepted (0 of 30');
  });

  it('is not in the default suite, so a scenario that names no attacks never sends its hundreds of requests', () => {
    expect(DEFAULT_SUITE).not.toContain('latency-overhead');
  });
});
