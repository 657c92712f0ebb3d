import { describe, expect, it } from 'vitest';
import { raceWindow } from './race-window.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

interface GapRow {
  gapMs: number;
  rounds: number;
  duplicates: number;
  refused: number;
  clientGapMs: { min: number; median: number; max: number } | null;
  serverGapMs: { min: number; median: number; max: number } | null;
}

interface Metric {
  sync: string;
  requestMs: number;
  maxGapMs: number;
  gaps: GapRow[];
  notTriedGapsMs: number[];
  widestDuplicateGapMs: number | null;
  widestDuplicateMeasured: { clientGapMs: number | null; serverGapMs: number | null } | null;
}

const curve = (m: Metric): string[] => m.gaps.map((g) => `${g.gapMs}:${g.duplicates}/${g.rounds}`);

describe('race-window', () => {
  it('finds a check-then-act gap and measures its width: duplicates up to the gap, none after', async () => {
    // The reservation is written 6 ms after a request arrives; a request takes 40 ms.
    const r = await runFake(raceWindow, {
      target: modelTarget({ raceWindowMs: 6, processingMs: 40 }),
      reportsArrival: true,
    });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const m = r.metrics['raceWindow'] as unknown as Metric;
    expect(curve(m)).toEqual(['0:3/3', '1:3/3', '2:3/3', '5:3/3', '10:0/3', '20:0/3']);
    expect(m).toMatchObject({
      requestMs: 40,
      maxGapMs: 40,
      widestDuplicateGapMs: 5,
      notTriedGapsMs: [50, 100, 200, 500],
    });
    expect(m.widestDuplicateMeasured).toEqual({ clientGapMs: 5, serverGapMs: 5 });
    expect(m.gaps[3]?.clientGapMs).toEqual({ min: 5, median: 5, max: 5 });
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.message).toMatch(
      /^A copy of the request with key \S+ released 5 ms after the first \(measured 5 ms between the sends, 5 ms between the arrivals\) executed again: 2 side effects\. 4 gaps of 6 wrote twice; duplicates\/rounds per gap: 0 ms 3\/3, 1 ms 3\/3, 2 ms 3\/3, 5 ms 3\/3, 10 ms 0\/3, 20 ms 0\/3\. One request takes about 40 ms; copies released up to 5 ms after the first executed again, none released later \(tried up to 20 ms\)\.$/,
    );
    expect(f?.observed).toBe('duplicates at gaps up to 5 ms');
    expect(f?.sideEffects).toMatchObject({ expected: 1, observed: 2 });
    expect(f?.exchanges.map((e) => e.label)).toEqual(['gap 5 ms, round 1 [0]', 'gap 5 ms, round 1 [1]']);
    expect(r.notes.join('\n')).toContain('gaps over 40 ms not tried (50, 100, 200, 500 ms)');
  });

  it('finds a lock that lapses before the work ends: no duplicate at 0 ms, duplicates at the wider gaps', async () => {
    const r = await runFake(raceWindow, { target: modelTarget({ lockTtlMs: 8, processingMs: 40 }) });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const m = r.metrics['raceWindow'] as unknown as Metric;
    expect(curve(m)).toEqual(['0:0/3', '1:0/3', '2:0/3', '5:0/3', '10:3/3', '20:3/3']);
    expect(m.widestDuplicateGapMs).toBe(20);
    expect(r.findings[0]?.message).toMatch(
      /One request takes about 40 ms; copies released as late as 20 ms after the first, the longest gap tried, still executed\.$/,
    );
    // Without the target reporting arrivals there is no server gap.
    expect(m.widestDuplicateMeasured).toEqual({ clientGapMs: 20, serverGapMs: null });
  });

  it('stays silent on a correct target, with the curve in its metric and a note', async () => {
    const r = await runFake(raceWindow, { target: modelTarget({ processingMs: 30 }) });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    const m = r.metrics['raceWindow'] as unknown as Metric;
    expect(curve(m)).toEqual(['0:0/3', '1:0/3', '2:0/3', '5:0/3', '10:0/3', '20:0/3']);
    expect(m.widestDuplicateGapMs).toBeNull();
    expect(r.notes).toContain(
      'no duplicate at any gap from 0 to 20 ms (duplicates/rounds: 0 ms 0/3, 1 ms 0/3, 2 ms 0/3, 5 ms 0/3, 10 ms 0/3, 20 ms 0/3)',
    );
  });

  it('releases each round as one burst: the first copy at once, the others together after the gap', async () => {
    const r = await runFake(raceWindow, {
      target: modelTarget({ processingMs: 30 }),
      options: { gapsMs: [0, 7], rounds: 2, copies: 3 },
    });
    // The duration probe, then the gaps interleaved round by round.
    expect(r.requests[0]?.label).toBe('duration probe');
    expect(r.bursts.map((b) => b.offsetsMs)).toEqual([
      [0, 0, 0],
      [0, 7, 7],
      [0, 0, 0],
      [0, 7, 7],
    ]);
    expect(r.bursts.every((b) => new Set(b.exchanges.map((e) => e.key)).size === 1)).toBe(true);
    expect(new Set(r.bursts.map((b) => b.exchanges[0]?.key)).size).toBe(4);
  });

  it('tries only gaps up to maxGapMs when set, and is inconclusive when none is left', async () => {
    const capped = await runFake(raceWindow, {
      target: modelTarget({ processingMs: 30 }),
      options: { maxGapMs: 2, rounds: 1 },
    });
    expect(curve(capped.metrics['raceWindow'] as unknown as Metric)).toEqual(['0:0/1', '1:0/1', '2:0/1']);
    const none = await runFake(raceWindow, {
      target: modelTarget({ processingMs: 3 }),
      options: { gapsMs: [50, 100] },
    });
    expect(none.outcome.kind).toBe('inconclusive');
    expect(none.outcome.reason).toBe('every gap (50, 100 ms) is longer than allowed (the first request took 3 ms)');
    expect(none.bursts).toEqual([]);
  });

  it('is inconclusive when the first request is refused, and judges no round the target refused whole', async () => {
    const refused = await runFake(raceWindow, { target: () => ({ status: 400 }) });
    expect(refused.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'the request was not accepted (400×1), so its duration, which bounds the gaps, is unknown',
    });
    // Accepts the probe, then refuses everything (rate limited).
    const limited: FakeTarget = (req) =>
      req.label === 'duration probe'
        ? { status: 201, body: { id: 'p0' }, writes: 1, latencyMs: 10 }
        : { status: 429, latencyMs: 1 };
    const r = await runFake(raceWindow, { target: limited });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.outcome.reason).toBe('the target accepted none of the pairs (429×30), so no gap could be judged');
    expect((r.metrics['raceWindow'] as unknown as Metric).gaps.map((g) => g.refused)).toEqual([3, 3, 3, 3, 3]);
  });

  it('never counts a copy that got no answer as a write', async () => {
    // The copy times out; the ledger (the records) shows one write: no duplicate.
    const flaky: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: `p-${req.key}` }, writes: 1, latencyMs: 30 } : { error: 'timeout' };
    const r = await runFake(raceWindow, { target: flaky });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
  });
});
