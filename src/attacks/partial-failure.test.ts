import { describe, expect, it } from 'vitest';
import { partialFailure } from './partial-failure.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

const downstreamEndpoint = { path: '/charges' };
const observe = ['sink', 'ledger'] as const;
const noReplayedErrors = { errorsReplayed: false };
const fast = { retryDelayMs: 0 };

describe('partial-failure', () => {
  it('finds a provider call retried without its key after a lost answer, for each fault that loses it', async () => {
    const r = await runFake(partialFailure, {
      target: modelTarget({ downstream: 'unkeyed' }),
      observe,
      endpoint: downstreamEndpoint,
      contract: noReplayedErrors,
      options: fast,
    });
    expect(r.kinds()).toEqual(['duplicate-write', 'duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.sideEffects?.counts.find((c) => c.observer === 'sink')?.count).toBe(2);
    expect(f?.message).toContain('applied-lost, applied');
    expect(r.findings.map((x) => x.message.match(/^On its first call for key \S+, (.*?);/)?.[1])).toEqual([
      'the provider applied the call, then reset the connection',
      'the provider applied the call and never answered',
    ]);
  });

  it('finds a provider 5xx cached against the key, when the contract says errors are not replayed', async () => {
    const target = (): FakeTarget => modelTarget({ downstream: 'keyed', storeFailures: true });
    const r = await runFake(partialFailure, {
      target: target(),
      observe,
      endpoint: downstreamEndpoint,
      contract: noReplayedErrors,
      options: fast,
    });
    expect(r.kinds()).toEqual(['error-cached']);
    expect(r.findings[0]?.exchanges.map((e) => e.response?.status)).toEqual([502, 502, 502, 502]);
    expect(r.findings[0]?.observed).toBe('502×3 replayed, 1 provider call');
    // Replaying errors is what a Stripe-like contract promises.
    const replayed = await runFake(partialFailure, {
      target: target(),
      observe,
      endpoint: downstreamEndpoint,
      contract: { errorsReplayed: true },
      options: fast,
    });
    expect(replayed.findings).toEqual([]);
  });

  it('does not take a failure the provider was asked again for to be an error cached against the key', async () => {
    // The target calls the provider on every request and answers 502 whatever it says.
    const target: FakeTarget = (req, env) => {
      env.downstream?.call(req.key ?? '', req.key);
      return { status: 502, body: { error: 'provider' } };
    };
    const r = await runFake(partialFailure, {
      target,
      observe,
      contract: noReplayedErrors,
      options: { ...fast, faults: ['fail'] },
    });
    expect(r.findings).toEqual([]);
    expect(r.ctx.downstream?.calls(r.requests[0]?.key ?? '')).toHaveLength(4);
    expect(r.notes[0]).toMatch(/^downstream fail: no retry succeeded \(answers: 502×4\)$/);
  });

  it('stays silent when the key is forwarded downstream and failures release the key', async () => {
    const r = await runFake(partialFailure, {
      target: modelTarget({ downstream: 'keyed' }),
      observe,
      endpoint: downstreamEndpoint,
      contract: noReplayedErrors,
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.notes).toEqual([]);
    // One key per fault, the faults programmed for the first call, the client retrying after the failure.
    expect(new Set(r.requests.map((q) => q.key)).size).toBe(3);
    expect(r.requests.map((q) => q.label)).toEqual([
      'first (downstream fail)',
      'retry[1] (downstream fail)',
      'first (downstream reset)',
      'first (downstream hang)',
    ]);
    const retry = r.requests[1];
    const first = r.requests[0];
    expect((retry?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(200);
  });

  it('skips an endpoint without a sink', async () => {
    const r = await runFake(partialFailure, { target: modelTarget() });
    expect(r.outcome.kind).toBe('skipped');
    expect(r.requests).toEqual([]);
  });

  it('is inconclusive when the target never answers or never calls the sink', async () => {
    const silent = await runFake(partialFailure, { target: () => ({ error: 'timeout' }), observe, options: fast });
    expect(silent.outcome.kind).toBe('inconclusive');
    expect(silent.notes.join(' ')).toContain('never answered');
    const unwired = await runFake(partialFailure, {
      target: modelTarget(),
      observe,
      options: { ...fast, faults: ['fail'] },
    });
    expect(unwired.outcome.kind).toBe('inconclusive');
    expect(unwired.notes[0]).toMatch(
      /never called the sink for key \S+ .*check that it is configured with the sink's URL/,
    );
  });
});
