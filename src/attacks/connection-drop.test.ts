import { describe, expect, it } from 'vitest';
import { connectionDrop } from './connection-drop.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

describe('connection-drop', () => {
  it('finds a torn request and its retry executed twice', async () => {
    const r = await runFake(connectionDrop, { target: modelTarget({ honourKeys: false }) });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.exchanges[0]?.label).toBe('torn (reset-after-body)');
    expect(f?.exchanges[0]?.error?.code).toBe('reset');
    expect(f?.message).toMatch(
      /^After a reset right after the complete request \(\d+ bytes\) and a retry with the same key \S+, the target executed 2 times/,
    );
  });

  it('finds a target that acts on half a request', async () => {
    const r = await runFake(connectionDrop, { target: modelTarget({ tornRequests: 'execute' }) });
    expect(r.kinds()).toEqual(['incomplete-executed']);
    const f = r.findings[0];
    expect(f?.severity).toBe('high');
    expect(f?.message).toMatch(
      /^The connection was reset after \d+ of \d+ bytes of the request with key \S+, yet 1 side effect\(s\) exist for it\.$/,
    );
    expect(f?.sideEffects?.expected).toBe(0);
  });

  it('stays silent when half a request has no effect and the request plus its retry have one', async () => {
    const r = await runFake(connectionDrop, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.requests.filter((q) => q.via === 'fault').map((q) => [q.fault?.kind, q.torn])).toEqual([
      ['reset-mid-body', true],
      ['reset-after-body', false],
    ]);
  });

  it('tries again when the target dropped the torn request, and judges the last attempt whatever happened', async () => {
    // A target that discards a request whose connection died before it answered: no effect, retry executes once.
    const model = modelTarget();
    const dropping: FakeTarget = (req, env) => (req.hangUpAfterMs !== undefined ? { error: 'reset' } : model(req, env));
    const r = await runFake(connectionDrop, { target: dropping, options: { rounds: 3 } });
    expect(r.findings).toEqual([]);
    expect(r.notes.filter((n) => n.includes('dropped the torn request'))).toHaveLength(2);
    expect(r.requests.filter((q) => q.fault?.kind === 'reset-after-body')).toHaveLength(3);
    expect(r.outcome).toEqual({ kind: 'ran' });
  });

  it('notes an endpoint without a body and is inconclusive when no retry is answered', async () => {
    const bodiless = await runFake(connectionDrop, { target: modelTarget(), endpoint: { body: undefined } });
    expect(bodiless.notes).toContain('the endpoint sends no body, so there is no middle to cut');
    expect(bodiless.outcome).toEqual({ kind: 'ran' });
    const silent = await runFake(connectionDrop, { target: () => ({ error: 'timeout' }) });
    expect(silent.findings).toEqual([]);
    expect(silent.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'no retry was answered, so nothing could be judged (see notes)',
    });
  });
});
