import { describe, expect, it } from 'vitest';
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

  it('skips a TTL longer than the allowed wait, from the options or the run’s --max-wait', async () => {
    const day = await runFake(ttlProbe, { target: modelTarget() });
    expect(day.outcome.kind).toBe('skipped');
    expect(day.outcome.reason).toMatch(
      /declared TTL \(24 h\) needs about 21\.6 h of waiting, more than the allowed 60 s; raise --max-wait to probe it/,
    );
    expect(day.requests).toEqual([]);
    const capped = await runFake(ttlProbe, { target: modelTarget(), contract: threeSeconds, maxWaitMs: 1000 });
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
