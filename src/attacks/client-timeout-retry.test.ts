import { describe, expect, it } from 'vitest';
import { clientTimeoutRetry } from './client-timeout-retry.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

describe('client-timeout-retry', () => {
  it('finds a retry executed while the abandoned original still runs', async () => {
    const r = await runFake(clientTimeoutRetry, { target: modelTarget({ inFlight: 'execute', processingMs: 200 }) });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.exchanges[0]?.error?.code).toBe('aborted');
    expect(f?.exchanges[0]?.timings.sent).toBeDefined();
    expect(f?.message).toContain('before the answer');
    expect(f?.message).toMatch(/the target executed it 2 times/);
    // The first round found it: no second round.
    expect(r.requests.filter((q) => q.via === 'fault')).toHaveLength(1);
  });

  it('finds a target that ignores the key', async () => {
    const r = await runFake(clientTimeoutRetry, { target: modelTarget({ honourKeys: false }) });
    expect(r.kinds()).toEqual(['duplicate-write']);
  });

  it('stays silent when the retry gets the in-flight status and then the original result', async () => {
    const r = await runFake(clientTimeoutRetry, { target: modelTarget({ processingMs: 200 }) });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    const firstRound = r.exchanges.filter((e) => e.key === r.requests[0]?.key && e.attack === 'client-timeout-retry');
    expect(firstRound.map((e) => e.response?.status ?? e.error?.code)).toEqual(['aborted', 409, 409, 409, 201, 201]);
    expect(r.requests.filter((q) => q.via === 'fault').map((q) => q.hangUpAfterMs)).toEqual([0, 0]);
    // The abort and the first retry have the target to themselves (parallel lanes wait); the
    // retries that follow do not need it.
    const round = r.requests.filter((q) => q.key === r.requests[0]?.key);
    expect(round.map((q) => [q.label, q.exclusive])).toEqual([
      ['first (aborted)', true],
      ['retry (immediate)', true],
      ['retry (immediate) #2', false],
      ['retry (immediate) #3', false],
      ['retry (immediate) #4', false],
      ['retry (after)', false],
    ]);
  });

  it('reports a key left refused after the client gave up as stuck-key', async () => {
    const r = await runFake(clientTimeoutRetry, {
      target: modelTarget({ onDisconnect: 'abandon', processingMs: 200 }),
      options: { rounds: 1, maxWaitMs: 400 },
    });
    expect(r.kinds()).toEqual(['stuck-key']);
    expect(r.findings[0]?.severity).toBe('high');
    expect(r.findings[0]?.message).toContain(
      'retries were still answered 409 400 ms after the original must have finished',
    );
    expect(r.findings[0]?.observed).toBe('409 after waiting 450 ms');
  });

  it('bounds the wait by the run’s --max-wait', async () => {
    const r = await runFake(clientTimeoutRetry, {
      target: modelTarget({ onDisconnect: 'abandon', processingMs: 200 }),
      options: { rounds: 1 },
      maxWaitMs: 100,
    });
    expect(r.findings[0]?.message).toContain('still answered 409 100 ms after');
  });

  it('notes an answer that came before the client hung up, and is inconclusive when no retry is answered', async () => {
    const early = await runFake(clientTimeoutRetry, {
      target: modelTarget(),
      options: { abortAfterMs: 50, rounds: 1 },
    });
    expect(early.findings).toEqual([]);
    expect(early.notes).toEqual([
      'round 1: the target answered 201 before the client hung up; lower abortAfterMs to abort earlier',
    ]);
    const silent: FakeTarget = (req) =>
      req.via === 'fault' ? { status: 201, writes: 1, latencyMs: 50 } : { error: 'timeout' };
    const lost = await runFake(clientTimeoutRetry, { target: silent });
    expect(lost.outcome).toEqual({ kind: 'inconclusive', reason: 'no round could be judged (see notes)' });
    expect(lost.notes[0]).toMatch(/^round 1: no retry was answered \(aborted×1, timeout×2\)$/);
  });
});
