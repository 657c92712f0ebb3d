import { describe, expect, it } from 'vitest';
import { sequentialReplay } from './sequential-replay.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

const stripe = { profile: 'stripe' as const };

describe('sequential-replay', () => {
  it('finds re-execution on retry when the target ignores the key', async () => {
    const r = await runFake(sequentialReplay, { target: modelTarget({ honourKeys: false }) });
    expect(r.kinds()).toEqual(['duplicate-write']);
    expect(r.findings[0]?.sideEffects).toMatchObject({ expected: 1, observed: 3 });
    expect(r.findings[0]?.message).toMatch(
      /sent 3 times one after another and produced 3 side effects \(answers: 201×3\)/,
    );
  });

  it('finds replays that differ from the original (201 then 200, another body) and lack the promised replay header', async () => {
    const r = await runFake(sequentialReplay, { target: modelTarget({ replay: 'divergent' }), contract: stripe });
    expect(r.kinds()).toEqual(['replay-divergent', 'replay-header-missing']);
    const divergent = r.findings.find((f) => f.kind === 'replay-divergent');
    expect(divergent?.observed).toContain('status 201 first, 200 on replay');
    expect(divergent?.observed).toContain('body differs');
    expect(divergent?.observed).toContain("location was '/payments/pay_1', replay has none");
    expect(r.findings.find((f) => f.kind === 'replay-header-missing')?.message).toBe(
      '2 of 2 replays lack the Idempotent-Replayed header the contract promises.',
    );
  });

  it('leaves fields named in ignoreFields out of the comparison', async () => {
    // Replays stamp a fresh `served_at`; everything else is the stored answer.
    const target: FakeTarget = (req) => ({
      status: 201,
      body: { id: 'p1', served_at: req.at },
      headers: req.nth > 1 ? { 'Idempotent-Replayed': 'true' } : {},
      writes: req.nth === 1 ? 1 : 0,
    });
    const strict = await runFake(sequentialReplay, { target, contract: stripe });
    expect(strict.kinds()).toEqual(['replay-divergent']);
    const lenient = await runFake(sequentialReplay, {
      target,
      contract: stripe,
      options: { ignoreFields: ['$.served_at'] },
    });
    expect(lenient.findings).toEqual([]);
  });

  it('reports a completed request whose retries are refused', async () => {
    const target: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1 } : { status: 422, body: { error: 'key reused' } };
    const r = await runFake(sequentialReplay, { target });
    expect(r.kinds()).toEqual(['replay-refused']);
    expect(r.findings[0]).toMatchObject({ severity: 'high', observed: '422×2' });
  });

  it('waits out in-flight answers to a replay before judging it', async () => {
    // The original finishes asynchronously: replays get 409 for a while, then the stored answer.
    const target: FakeTarget = (req) =>
      req.nth === 1
        ? { status: 201, body: { id: 'p1' }, writes: 1 }
        : req.at < 400
          ? { status: 409, body: { error: 'in flight' } }
          : { status: 201, body: { id: 'p1' } };
    const r = await runFake(sequentialReplay, { target });
    expect(r.findings).toEqual([]);
    expect(r.exchanges.map((e) => e.label)).toContain('replay[1] retry 3');
  });

  it('stays silent on a correct target, and notes a replay header already on the first answer', async () => {
    const r = await runFake(sequentialReplay, { target: modelTarget(), contract: stripe, options: { replays: 3 } });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.exchanges.map((e) => e.label)).toEqual(['first', 'replay[1]', 'replay[2]', 'replay[3]']);
    expect(new Set(r.exchanges.map((e) => e.key)).size).toBe(1);
    expect(r.notes).toEqual([]);

    const marked: FakeTarget = (req) => ({
      status: 201,
      body: { id: 'p1' },
      headers: { 'Idempotent-Replayed': 'true' },
      writes: req.nth === 1 ? 1 : 0,
    });
    const noted = await runFake(sequentialReplay, { target: marked, contract: stripe });
    expect(noted.notes).toEqual(['the first (non-replayed) answer already carried Idempotent-Replayed']);
  });

  it('is inconclusive when the first request is not accepted', async () => {
    const r = await runFake(sequentialReplay, { target: () => ({ status: 400, body: { error: 'bad' } }) });
    expect(r.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'the first request was not accepted (400×1), so there is nothing to replay',
    });
    expect(r.requests).toHaveLength(1);
  });
});
