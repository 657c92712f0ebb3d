import { describe, expect, it } from 'vitest';
import { concurrentBurst } from './concurrent-burst.js';
import { createStep, modelTarget, runFake, withSetup, type FakeTarget } from '../testing/index.js';

const options = { copies: 5, rounds: 3 };

describe('concurrent-burst', () => {
  it('finds concurrent duplicates that all execute (check-then-act), with the evidence and the verdict', async () => {
    const r = await runFake(concurrentBurst, { target: modelTarget({ inFlight: 'execute' }), options });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.sideEffects).toMatchObject({ expected: 1, observed: 5 });
    expect(f?.exchanges).toHaveLength(5);
    expect(f?.message).toMatch(
      /^5 identical requests with key \S+ released together produced 5 side effects \(answers: 201×5\); 3 of 3 rounds wrote more than once\.$/,
    );
    expect(f?.reproduce.timingDependent).toBe(true);
  });

  it('finds a target that ignores the key', async () => {
    const r = await runFake(concurrentBurst, { target: modelTarget({ honourKeys: false }), options });
    expect(r.kinds()).toEqual(['duplicate-write']);
  });

  it('stays silent on a target that executes once and answers the other copies 409', async () => {
    const r = await runFake(concurrentBurst, { target: modelTarget(), options });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    // Every round is one burst of every copy, on a fresh key, released by the mode asked for (auto: last-byte).
    expect(r.bursts.map((b) => [b.exchanges.length, b.sync])).toEqual([
      [5, 'last-byte'],
      [5, 'last-byte'],
      [5, 'last-byte'],
    ]);
    expect(new Set(r.exchanges.map((e) => e.key)).size).toBe(3);
    expect(r.exchanges.map((e) => e.response?.status).sort()).toEqual([
      ...Array<number>(3).fill(201),
      ...Array<number>(12).fill(409),
    ]);
  });

  it('releases the copies with the sync mode the options name', async () => {
    const r = await runFake(concurrentBurst, { target: modelTarget(), options: { ...options, sync: 'barrier' } });
    expect(r.bursts.every((b) => b.sync === 'barrier')).toBe(true);
  });

  it('does not add race errors when the 5xx come with a duplicate write (one symptom of the same race)', async () => {
    // The first two copies of a key execute; the rest crash on the unique constraint.
    const target: FakeTarget = (req) =>
      req.nth <= 2
        ? { status: 201, body: { id: `p${req.nth}` }, writes: 1 }
        : { status: 500, body: { error: 'unique' } };
    const r = await runFake(concurrentBurst, { target, options: { copies: 5, rounds: 1 } });
    expect(r.kinds()).toEqual(['duplicate-write']);
    expect(r.findings[0]?.message).toContain('201×2, 500×3');
  });

  it('reports race errors when the losers get a 5xx although only one write happened', async () => {
    const target: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1 } : { status: 500, body: { error: 'unique' } };
    const r = await runFake(concurrentBurst, { target, options: { copies: 5, rounds: 1 } });
    expect(r.kinds()).toEqual(['race-error']);
    expect(r.findings[0]).toMatchObject({ severity: 'medium', observed: '500×4' });
  });

  it("reports losers answered outside the contract's in-flight statuses", async () => {
    const target: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1 } : { status: 429, body: { error: 'busy' } };
    const ietf = await runFake(concurrentBurst, { target, options: { copies: 3, rounds: 1 } });
    expect(ietf.kinds()).toEqual(['in-flight-status']);
    expect(ietf.findings[0]?.message).toContain("outside the contract's in-flight statuses (409)");
    // The lenient profile allows 429 for a duplicate in flight.
    const lenient = await runFake(concurrentBurst, {
      target,
      options: { copies: 3, rounds: 1 },
      contract: { profile: 'lenient' },
    });
    expect(lenient.findings).toEqual([]);
  });

  it('is inconclusive, not passed, when the target accepts none of the copies', async () => {
    const r = await runFake(concurrentBurst, { target: () => ({ status: 503 }), options: { copies: 3, rounds: 2 } });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.outcome.reason).toContain('503×3; 503×3');
  });

  it('judges by the target records when an answer carries another key’s id, and notes the disagreement', async () => {
    // One write, but a loser answered with another key's stored response (a foreign id): no duplicate.
    const target: FakeTarget = (req) =>
      req.nth === 1
        ? { status: 201, body: { id: 'mine' }, writes: 1 }
        : { status: 201, body: { id: req.nth === 2 ? 'foreign' : 'mine' } };
    const r = await runFake(concurrentBurst, {
      target,
      options: { copies: 3, rounds: 1 },
      observe: ['responseId', 'ledger'],
    });
    expect(r.findings).toEqual([]);
    expect(r.notes.join('\n')).toMatch(/the answers suggest 2 writes \(responseId 2\) but the target's records show 1/);
  });

  it('paces its releases by the quietMs option (default 20 ms)', async () => {
    const paced = await runFake(concurrentBurst, { target: modelTarget(), options: { ...options, quietMs: 120 } });
    expect(paced.bursts.map((b) => b.quietMs)).toEqual([120, 120, 120]);
    const byDefault = await runFake(concurrentBurst, { target: modelTarget(), options });
    expect(byDefault.bursts.map((b) => b.quietMs)).toEqual([20, 20, 20]);
  });
});

describe('concurrent-burst on an endpoint with per-operation setup', () => {
  it('creates a charge per round before the release, and every copy of the round refunds it', async () => {
    const api = withSetup(modelTarget({ inFlight: 'execute' }));
    const r = await runFake(concurrentBurst, {
      target: api.target,
      endpoint: { path: '/charges/{{charge_id}}/refunds', setup: [createStep('charge', '/charges', 'charge_id')] },
      options,
    });
    expect(r.kinds()).toEqual(['duplicate-write']);
    expect(api.created.map((c) => c.id)).toEqual(['ch_1', 'ch_2', 'ch_3']);
    for (const b of r.bursts) {
      const paths = new Set(b.exchanges.map((e) => new URL(e.request.url).pathname));
      expect(paths.size).toBe(1);
    }
    expect(r.bursts.map((b) => new URL(b.exchanges[0]?.request.url ?? '').pathname)).toEqual([
      '/charges/ch_1/refunds',
      '/charges/ch_2/refunds',
      '/charges/ch_3/refunds',
    ]);
    // Each round's setup arrived before its burst, never during one.
    expect(r.requests.map((q) => (q.phase === 'setup' ? 'S' : 'b')).join('')).toBe('SbbbbbSbbbbbSbbbbb');
    // The finding shows the round's charge as setup, first.
    expect(r.findings[0]?.exchanges[0]).toMatchObject({ label: 'setup charge', phase: 'setup' });
    const silent = withSetup(modelTarget());
    const ok = await runFake(concurrentBurst, {
      target: silent.target,
      endpoint: { path: '/charges/{{charge_id}}/refunds', setup: [createStep('charge', '/charges', 'charge_id')] },
      options,
    });
    expect(ok.findings).toEqual([]);
  });
});
