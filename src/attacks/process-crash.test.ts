import { describe, expect, it } from 'vitest';
import { processCrash } from './process-crash.js';
import { modelTarget, runFake, type FakeHooks, type FakeTarget } from '../testing/index.js';

const hooks: FakeHooks = { crash: 'ok', restart: 'ok', ready: 'ok' };
const withSink = ['sink', 'ledger'] as const;
/** Processing outlasts the default crash delay (50 ms), so a delay-triggered crash lands mid-operation. */
const slow = { processingMs: 200 };
const accepted = { status: 201, body: { id: 'p0' }, writes: 1 };

describe('process-crash', () => {
  it('finds keys kept in process memory: the write committed before the crash, the retry executes again', async () => {
    const r = await runFake(processCrash, {
      target: modelTarget({ ...slow, keyStore: 'memory', effects: 'immediate' }),
      hooks,
    });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.message).toMatch(/^The target was killed 50 ms after the request was sent \(key \S+\), restarted/);
    expect(f?.message).toContain('executed 2 times');
    expect(f?.exchanges.map((e) => e.response?.status ?? e.error?.code)).toEqual(['reset', 201]);
    expect(r.requests[0]?.label).toBe('baseline (before any crash)');
    expect(r.hooksRan()).toEqual(['crash', 'restart', 'ready']);
    expect(r.notes.filter((n) => n.startsWith('hook '))).toHaveLength(3);
  });

  it('crashes at the moment the target calls its provider, when the endpoint has a sink', async () => {
    const r = await runFake(processCrash, {
      target: modelTarget({ downstream: 'keyed', keyStore: 'memory', effects: 'immediate' }),
      hooks,
      observe: withSink,
    });
    expect(r.kinds()).toEqual(['duplicate-write']);
    expect(r.findings[0]?.message).toContain('while it waited on its provider (the sink held the call)');
    // The provider deduplicated the forwarded key; the target's own records show the second write.
    const counts = r.findings[0]?.sideEffects?.counts.map((c) => `${c.observer}:${c.count}`);
    expect(counts).toEqual(['sink:1', 'ledger:2']);
    // requests[0] is the baseline, on a key of its own.
    const key = r.requests[1]?.key ?? '';
    expect(r.ctx.downstream?.calls(key).map((c) => c.outcome)).toEqual(['applied-lost', 'replayed']);
  });

  it('finds memory keys even when the first request finished before the crash', async () => {
    const r = await runFake(processCrash, {
      target: modelTarget({ keyStore: 'memory' }),
      hooks,
      options: { crashAfterMs: 500 },
    });
    expect(r.kinds()).toEqual(['duplicate-write']);
    expect(r.notes.find((n) => n.startsWith('round 1'))).toMatch(
      /^round 1: the first request was answered 201 before the target was killed \(500 ms after the request was sent\)/,
    );
  });

  it('finds a reservation nobody recovers: in progress past the contract’s recoveryTime', async () => {
    const r = await runFake(processCrash, {
      target: modelTarget({ ...slow, abandoned: 'keep' }),
      hooks,
      contract: { recoveryMs: 3_000 },
    });
    expect(r.kinds()).toEqual(['stuck-key']);
    const f = r.findings[0];
    expect(f?.severity).toBe('high');
    expect(f?.observed).toBe('409 after 3000 ms');
    expect(f?.message).toContain("past the contract's recoveryTime of 3000 ms");
    expect(r.now).toBeGreaterThanOrEqual(3_000);
  });

  it('does not call a key stuck when --max-wait ends the wait before the contract’s recoveryTime', async () => {
    const r = await runFake(processCrash, {
      target: modelTarget({ ...slow, abandoned: 'keep' }),
      hooks,
      contract: { recoveryMs: 60_000 },
      maxWaitMs: 1_000,
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'inconclusive', reason: 'no round could be judged (see notes)' });
    expect(r.notes.join('\n')).toContain('the contract allows 60000 ms and --max-wait stops at 1000 ms');
  });

  it('stays silent on the correct design: durable keys, the write committed with the key, abandoned reservations recovered', async () => {
    for (const options of [{}, { crashAfterMs: 500 }]) {
      const r = await runFake(processCrash, { target: modelTarget(slow), hooks, options });
      expect(r.findings).toEqual([]);
      expect(r.outcome).toEqual({ kind: 'ran' });
    }
    const viaSink = await runFake(processCrash, {
      target: modelTarget({ downstream: 'keyed' }),
      hooks,
      observe: withSink,
    });
    expect(viaSink.findings).toEqual([]);
    expect(viaSink.outcome).toEqual({ kind: 'ran' });
  });

  it('reports a retry that is refused with an error after the restart', async () => {
    // The target comes back unable to serve the key: every request with it is a 500.
    const target: FakeTarget = (req, env) =>
      req.label.startsWith('baseline')
        ? accepted
        : (env.system?.boot ?? 1) > 1
          ? { status: 500, body: { error: 'corrupt record' } }
          : { error: 'reset', writes: 0 };
    const r = await runFake(processCrash, { target, hooks });
    expect(r.kinds()).toEqual(['retry-broken']);
    expect(r.findings[0]?.severity).toBe('medium');
    expect(r.findings[0]?.observed).toBe('500 (0 side effects)');
  });

  it('reports a success replayed for an operation whose write never happened', async () => {
    const target: FakeTarget = (req, env) =>
      req.label.startsWith('baseline')
        ? accepted
        : (env.system?.boot ?? 1) > 1
          ? { status: 201, body: { id: 'p1' }, headers: { 'idempotent-replayed': 'true' }, writes: 0 }
          : { error: 'reset', writes: 0 };
    const r = await runFake(processCrash, { target, hooks });
    expect(r.kinds()).toEqual(['retry-broken']);
    expect(r.findings[0]?.message).toContain("the target's records show no write for the key");
    // Judged only by observers that read the records: the answers alone cannot tell.
    const answersOnly = await runFake(processCrash, { target, hooks, observe: ['responseId'] });
    expect(answersOnly.findings).toEqual([]);
  });

  it('waits through the 503s of a target that is still warming up after its restart', async () => {
    let served = 0;
    const target: FakeTarget = (req, env) => {
      if (req.label.startsWith('baseline')) return accepted;
      if ((env.system?.boot ?? 1) === 1) return { error: 'reset' };
      served += 1;
      return served < 3 ? { status: 503 } : { status: 201, body: { id: 'p1' }, writes: 1 };
    };
    const r = await runFake(processCrash, { target, hooks: { crash: 'ok', restart: 'ok' } });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.exchanges.map((e) => e.response?.status ?? e.error?.code)).toEqual([201, 'reset', 503, 503, 201]);
  });

  it('is not audited when the target does not answer again within readyWaitMs', async () => {
    const r = await runFake(processCrash, {
      target: modelTarget(slow),
      hooks: { crash: 'ok', restart: { acts: false } },
      options: { readyWaitMs: 2_000 },
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.notes.join('\n')).toMatch(/did not serve again within 2000 ms of its restart \(connect-refused×\d+\)/);
  });

  it('is not audited, and kills nothing, when the request is not accepted to begin with', async () => {
    const r = await runFake(processCrash, { target: () => ({ status: 401, body: { error: 'unauthorized' } }), hooks });
    expect(r.findings).toEqual([]);
    expect(r.outcome.reason).toBe(
      'the request was not accepted before any crash (401×1), so nothing could be judged; nothing was killed',
    );
    expect(r.hookRuns).toEqual([]);
  });

  it('does not take a target that answers 503 for good after its restart for a broken retry', async () => {
    const target: FakeTarget = (req, env) =>
      req.label.startsWith('baseline') ? accepted : (env.system?.boot ?? 1) > 1 ? { status: 503 } : { error: 'reset' };
    const r = await runFake(processCrash, { target, hooks, options: { readyWaitMs: 1_000 } });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.notes.join('\n')).toMatch(/did not serve again within 1000 ms of its restart \(503×\d+\)/);
  });

  describe('hooks', () => {
    it('skips without hooks, and without consent names the flag that gives it', async () => {
      const none = await runFake(processCrash, { target: modelTarget() });
      expect(none.outcome).toEqual({
        kind: 'skipped',
        reason:
          'the scenario declares no crash / restart hooks (the commands that kill and restart the target): see docs/hooks.md',
      });
      const off = await runFake(processCrash, { target: modelTarget(), hooks, allowHooks: false });
      expect(off.outcome.kind).toBe('skipped');
      expect(off.outcome.reason).toMatch(/^hooks are off: .* started with --allow-hooks$/);
      expect(off.requests).toEqual([]);
      expect(off.hookRuns).toEqual([]);
    });

    it('is not audited when a required hook is missing from the scenario', async () => {
      const r = await runFake(processCrash, { target: modelTarget(), hooks: { crash: 'ok' } });
      expect(r.outcome).toEqual({
        kind: 'inconclusive',
        reason: 'the scenario declares crash but not restart: add hooks.restart to the scenario',
      });
      expect(r.requests).toEqual([]);
    });

    it('a crash hook that fails, hangs or cannot be found is "not audited", and the target is restarted anyway', async () => {
      for (const crash of [{ exitCode: 1, output: 'Error: no such pod' }, { timedOut: true }, { missing: true }]) {
        const r = await runFake(processCrash, { target: modelTarget(slow), hooks: { ...hooks, crash } });
        expect(r.findings).toEqual([]);
        expect(r.outcome.kind).toBe('inconclusive');
        expect(r.outcome.reason).toMatch(
          /^the crash hook failed, so nothing could be judged: hook crash \(fake-crash\): /,
        );
        expect(r.hooksRan()).toEqual(['crash!', 'restart@restore', 'ready@restore']);
      }
    });

    it('a restart hook that fails is "not audited" and is tried again when the attack ends', async () => {
      const r = await runFake(processCrash, {
        target: modelTarget(slow),
        hooks: { ...hooks, restart: { exitCode: 2, output: 'deployment not found' } },
      });
      expect(r.findings).toEqual([]);
      expect(r.outcome.reason).toContain('the restart hook failed');
      expect(r.outcome.reason).toContain('last output: deployment not found');
      expect(r.hooksRan()).toEqual(['crash', 'restart!', 'restart@restore!']);
    });

    it('is not audited when the endpoint has no sink but the options ask for the downstream trigger', async () => {
      const r = await runFake(processCrash, { target: modelTarget(), hooks, options: { trigger: 'downstream' } });
      expect(r.outcome.kind).toBe('inconclusive');
      expect(r.outcome.reason).toContain('needs a sink observer');
      expect(r.hookRuns).toEqual([]);
    });
  });
});
