import { describe, expect, it } from 'vitest';
import { missingKey } from './missing-key.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

describe('missing-key', () => {
  it('finds a target that executes a request without the required key', async () => {
    for (const target of [modelTarget({ keyRequired: false }), modelTarget({ honourKeys: false })]) {
      const r = await runFake(missingKey, { target });
      expect(r.kinds()).toEqual(['missing-key-accepted']);
      expect(r.findings[0]).toMatchObject({ severity: 'medium', expected: '400', observed: '201×1' });
      expect(r.findings[0]?.exchanges[0]?.request.headers).not.toHaveProperty('Idempotency-Key');
      expect(r.requests[0]?.header('idempotency-key')).toBeUndefined();
    }
  });

  it('finds a crash and a refusal with another status than the contract names', async () => {
    const crash = await runFake(missingKey, { target: () => ({ status: 500 }) });
    expect(crash.kinds()).toEqual(['missing-key-crash']);
    const other: FakeTarget = () => ({ status: 422, body: { error: 'key required' } });
    const status = await runFake(missingKey, { target: other });
    expect(status.kinds()).toEqual(['missing-key-status']);
    expect(status.findings[0]?.message).toBe('A request without the Idempotency-Key header got 422×1, not 400.');
    // The lenient profile accepts 422 for a missing key.
    expect((await runFake(missingKey, { target: other, contract: { profile: 'lenient' } })).findings).toEqual([]);
  });

  it('stays silent on a target that refuses the request with 400', async () => {
    const r = await runFake(missingKey, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.writes(undefined)).toBe(0);
  });

  it('skips when the contract makes the key optional, and is inconclusive after a transport failure', async () => {
    const optional = await runFake(missingKey, { target: modelTarget(), contract: { profile: 'stripe' } });
    expect(optional.outcome).toEqual({
      kind: 'skipped',
      reason: 'the contract makes the key optional (keyRequired: false)',
    });
    expect(optional.requests).toEqual([]);
    const lost = await runFake(missingKey, { target: () => ({ error: 'reset', message: 'socket hang up' }) });
    expect(lost.outcome).toEqual({ kind: 'inconclusive', reason: 'the request failed in transport (socket hang up)' });
  });
});
