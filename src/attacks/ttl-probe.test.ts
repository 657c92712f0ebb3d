import { describe, expect, it } from 'vitest';
import type { PendingCheck } from '../findings/pending-check.js';
import type { JsonValue } from '../scenario/types.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';
import { ttlProbe, ttlSchedule } from './ttl-probe.js';

describe('ttlSchedule', () => {
  it('doubles from the first delay and ends just inside the TTL', () => {
    expect(ttlSchedule(3000, 250, 0.9)).toEqual([250, 500, 1000, 2000, 2700]);
    expect(ttlSchedule(100, 250, 0.9)).toEqual([90]);
  });
});

const threeSeconds = { ttlMs: 3000 };

describe('ttl-probe', () => {
  it('finds a key forgotten before the declared TTL and reports the measured window', async () => {
    const r = await runFake(ttlProbe, { target: modelTarget({ keyTtlMs: 800 }), contract: threeSeconds });
    expect(r.kinds()).toEqual(['ttl-too-short']);
    const f = r.findings[0];
    expect(f?.severity).toBe('high');
    expect(f?.message).toMatch(
      /^The key \S+ was deduplicated 500 ms after the first answer, but a replay 1 s after it executed again \(2 side effects\), although the contract promises 3 s\. Measured retention: between 500 ms and 1 s\.$/,
    );
    expect(f?.observed).toBe('forgotten within 1 s');
    expect(f?.sideEffects).toMatchObject({ expected: 1, observed: 2 });
    expect(r.requests.map((q) => q.label)).toEqual([
      'first',
      'replay after 250 ms',
      'replay after 500 ms',
      'replay after 1 s',
    ]);
  });

  it('takes the endpoint’s own TTL over the scenario’s', async () => {
    const r = await runFake(ttlProbe, {
      target: modelTarget({ keyTtlMs: 100 }),
      endpoint: { contract: { ttlMs: 2000 } },
    });
    expect(r.findings[0]?.message).toMatch(
      /deduplicated at no replay, but a replay 250 ms after it executed again .* Measured retention: under 250 ms\.$/,
    );
  });

  it('stays silent when the key is kept for the TTL, and says how long it was seen', async () => {
    const r = await runFake(ttlProbe, { target: modelTarget(), contract: threeSeconds });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.notes).toEqual(['the key was still deduplicated 2.7 s after the first answer']);
    expect(r.requests).toHaveLength(6);
  });

  it('skips a TTL longer than the allowed wait when told not to plant, sending nothing', async () => {
    const day = await runFake(ttlProbe, { target: modelTarget(), options: { plant: false } });
    expect(day.outcome.kind).toBe('skipped');
    expect(day.outcome.reason).toMatch(
      /declared TTL \(24 h\) needs about 21\.6 h of waiting, more than the allowed 60 s; raise --max-wait to probe it, or set plant: true/,
    );
    expect(day.requests).toEqual([]);
    const capped = await runFake(ttlProbe, {
      target: modelTarget(),
      contract: threeSeconds,
      maxWaitMs: 1000,
      options: { plant: false },
    });
    expect(capped.outcome.reason).toContain('more than the allowed 1 s; raise --max-wait');
  });

  it('takes error answers to replays for no evidence of retention', async () => {
    // Executes the first request of a key, then fails every replay without executing.
    const target: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1 } : { status: 503 };
    const r = await runFake(ttlProbe, { target, contract: { ttlMs: 1000 } });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.notes.join(' ')).toContain('not counted as remembered');
    expect(r.notes.join(' ')).not.toContain('still deduplicated');
  });

  it('is inconclusive when the first request is refused, and notes replays that got no answer', async () => {
    const refused = await runFake(ttlProbe, { target: () => ({ status: 400 }), contract: threeSeconds });
    expect(refused.outcome.kind).toBe('inconclusive');
    expect(refused.outcome.reason).toContain('the first request was not accepted (400×1)');
    const flaky: FakeTarget = (req) =>
      req.nth === 1
        ? { status: 201, body: { id: 'p1' }, writes: 1 }
        : req.nth === 2
          ? { error: 'timeout' }
          : { status: 201, body: { id: 'p1' } };
    const r = await runFake(ttlProbe, { target: flaky, contract: threeSeconds });
    expect(r.notes[0]).toBe('replay after 250 ms got no answer (timeout×1); not judged');
    expect(r.outcome).toEqual({ kind: 'ran' });
  });
});

const HOUR = 3_600_000;

/** Executes a key's first request (payment `p-<key>`) and replays it after. */
const planting: FakeTarget = (req) =>
  req.nth === 1
    ? { status: 201, body: { id: `p-${req.key}` }, writes: 1 }
    : { status: 201, body: { id: `p-${req.key}` }, headers: { 'Idempotent-Replayed': 'true' } };

/** The checks a default run plants against a 24 h TTL, as report.json would keep them. */
async function plantedChecks(): Promise<PendingCheck[]> {
  const r = await runFake(ttlProbe, { target: planting, observe: ['responseId'] });
  return r.pending;
}

/** A check as if planted `plantedAgoMs` ago, due `dueInMs` from now (negative: already due). */
function aged(check: PendingCheck, plantedAgoMs: number, dueInMs: number): PendingCheck {
  const data = check.data as Record<string, JsonValue>;
  return {
    ...check,
    dueAt: new Date(Date.now() + dueInMs).toISOString(),
    data: { ...data, plantedAt: new Date(Date.now() - plantedAgoMs).toISOString() },
  };
}

/** Replays of the planted keys: answered with the stored payment, or executed again (a new id). */
function verifyTarget(forgotten: boolean): FakeTarget {
  return (req) =>
    forgotten
      ? { status: 201, body: { id: `p-new-${req.key}` }, writes: 1 }
      : { status: 201, body: { id: `p-${req.key}` }, headers: { 'Idempotent-Replayed': 'true' } };
}

describe('ttl-probe across runs', () => {
  it('plants one key per check age when the TTL is longer than the run may wait, each replayed at once', async () => {
    const before = Date.now();
    const r = await runFake(ttlProbe, { target: modelTarget() });
    expect(r.outcome.kind).toBe('skipped');
    expect(r.outcome.reason).toMatch(
      /^pending: 2 retention checks planted for idem-audit verify \(keys replayed 12 h and 21\.6 h after planting; the declared TTL, 24 h, is longer than the run may wait\): verify this report 21\.6 h to 24 h after the run$/,
    );
    expect(r.notes).toEqual([expect.stringMatching(/^verify between \S+Z and \S+Z to judge every planted key$/)]);
    expect(r.requests.map((q) => q.label)).toEqual([
      'planted for 12 h',
      'planted for 12 h, replayed at once',
      'planted for 21.6 h',
      'planted for 21.6 h, replayed at once',
    ]);
    expect(r.pending.map((c) => c.id)).toEqual(['ttl-43200000', 'ttl-77760000']);
    const [half, late] = r.pending;
    expect(Date.parse(half?.dueAt ?? '') - before).toBeGreaterThanOrEqual(12 * HOUR - 1000);
    expect(Date.parse(late?.dueAt ?? '') - before).toBeLessThanOrEqual(21.6 * HOUR + 5000);
    expect(half?.exchanges.map((e) => e.label)).toEqual(['planted for 12 h', 'planted for 12 h, replayed at once']);
    expect(half?.data).toMatchObject({ key: half?.exchanges[0]?.key, ttlMs: 24 * HOUR, ageMs: 12 * HOUR });
    expect(half?.description).toMatch(/^replay key \S+ 12 h after it was planted \(the declared TTL is 24 h\)$/);
    expect(new Set(r.pending.map((c) => (c.data as { key: string }).key)).size).toBe(2);
  });

  it('reports a key forgotten at once while planting, and plants nothing for a refused request', async () => {
    const none = await runFake(ttlProbe, { target: modelTarget({ honourKeys: false }) });
    expect(none.kinds()).toEqual(['ttl-too-short']);
    expect(none.findings[0]?.message).toMatch(/not deduplicated even when replayed right after its first answer/);
    expect(none.pending).toEqual([]);
    const refused = await runFake(ttlProbe, { target: () => ({ status: 403 }) });
    expect(refused.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'no planted request was accepted (403×2), so there is no key to keep',
    });
  });

  it('under verify, finds a key forgotten by its due time, counting the planting run’s answers', async () => {
    const [half, late] = await plantedChecks();
    if (!half || !late) throw new Error('nothing planted');
    const r = await runFake(ttlProbe, {
      target: verifyTarget(true),
      observe: ['responseId'],
      deferred: [aged(half, 13 * HOUR, -HOUR), aged(late, 13 * HOUR, 9 * HOUR)],
    });
    expect(r.kinds()).toEqual(['ttl-too-short']);
    const f = r.findings[0];
    expect(f?.message).toMatch(
      /^The key \S+ was deduplicated right after it was planted \(\S+\), but a replay 13 h after it executed again \(2 side effects\), although the contract promises 24 h\. Measured retention: under 13 h\.$/,
    );
    // The planting run's first answer and replay, then this one.
    expect(f?.exchanges.map((e) => e.label)).toEqual([
      'planted for 12 h',
      'planted for 12 h, replayed at once',
      'replay 13 h after planting',
    ]);
    // The promise is broken: the older key is not checked later (one finding per cell).
    expect(r.pending).toEqual([]);
    expect(r.notes).toEqual(['1 other retention check dropped: the key was forgotten by 13 h']);
  });

  it('under verify, passes a key still remembered, and brackets the retention with a later forgotten one', async () => {
    const [half, late] = await plantedChecks();
    if (!half || !late) throw new Error('nothing planted');
    const kept = await runFake(ttlProbe, {
      target: verifyTarget(false),
      observe: ['responseId'],
      deferred: [aged(half, 13 * HOUR, -HOUR)],
    });
    expect(kept.findings).toEqual([]);
    expect(kept.outcome).toEqual({ kind: 'ran' });
    expect(kept.notes).toEqual(['the key planted for 12 h was still deduplicated 13 h after planting']);
    expect(kept.pending).toEqual([]);

    const lateKey = (late.data as { key: string }).key;
    const mixed = await runFake(ttlProbe, {
      target: (req, env) => verifyTarget(req.key === lateKey)(req, env),
      observe: ['responseId'],
      deferred: [aged(half, 22 * HOUR, -10 * HOUR), aged(late, 23 * HOUR, -HOUR)],
    });
    expect(mixed.findings[0]?.message).toMatch(/Measured retention: between 22 h and 23 h\.$/);
  });

  it('under verify, keeps checks pending until due, and says when the next one is', async () => {
    const checks = await plantedChecks();
    const r = await runFake(ttlProbe, {
      target: verifyTarget(true),
      observe: ['responseId'],
      deferred: checks.map((c) => aged(c, HOUR, 11 * HOUR)),
    });
    expect(r.requests).toEqual([]);
    expect(r.outcome.kind).toBe('skipped');
    expect(r.outcome.reason).toMatch(/^pending: 2 retention checks, the next due at \S+ \(in 11 h\)$/);
    expect(r.pending.map((c) => c.id)).toEqual(checks.map((c) => c.id));
  });

  it('under verify, drops a check past the TTL, keeps one whose replay got no answer, and drops what it did not write', async () => {
    const [half, late] = await plantedChecks();
    if (!half || !late) throw new Error('nothing planted');
    const foreign: PendingCheck = { ...half, id: 'other', data: { something: 'else' } };
    const r = await runFake(ttlProbe, {
      target: () => ({ error: 'connect-refused' }),
      observe: ['responseId'],
      deferred: [aged(half, 25 * HOUR, -13 * HOUR), aged(late, 22 * HOUR, -HOUR), foreign],
    });
    expect(r.findings).toEqual([]);
    // A due check the target did not answer is not audited, and stays for the next verify.
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.outcome.reason).toBe(
      'no retention check could be judged (1 verified too late, 1 not answered, 1 not written by ttl-probe); the notes say why',
    );
    expect(r.pending.map((c) => c.id)).toEqual([late.id]);
    expect(r.notes.join('\n')).toMatch(/is 25 h old, past the declared TTL \(24 h\): too late to judge/);
    expect(r.notes.join('\n')).toContain('got no answer (connect-refused×1); still pending');
    expect(r.notes.join('\n')).toContain('check other is not one ttl-probe wrote; dropped');
  });

  it('under verify, leaves the unjudged checks pending when the run is stopped', async () => {
    const checks = await plantedChecks();
    const stop = new AbortController();
    stop.abort();
    const r = await runFake(ttlProbe, {
      target: verifyTarget(true),
      observe: ['responseId'],
      signal: stop.signal,
      deferred: checks.map((c) => aged(c, 23 * HOUR, -HOUR)),
    });
    expect(r.requests).toEqual([]);
    expect(r.pending.map((c) => c.id)).toEqual(checks.map((c) => c.id));
  });
});
