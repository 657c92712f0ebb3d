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

describe('missing-key where the key is not a header', () => {
  it('leaves out the body field, form field or query parameter, and names it', async () => {
    for (const keyIn of [
      { in: 'body', path: ['idempotency_key'] },
      { in: 'form', name: 'idempotency_key' },
      { in: 'query', name: 'idem' },
    ] as const) {
      const endpoint = keyIn.in === 'form' ? { form: { amount: 1 }, keyIn } : { keyIn };
      const silent = await runFake(missingKey, { target: modelTarget({ keyIn, validate: () => true }), endpoint });
      expect(silent.findings).toEqual([]);
      const r = await runFake(missingKey, {
        target: modelTarget({ keyIn, keyRequired: false, validate: () => true }),
        endpoint,
      });
      expect(r.kinds()).toEqual(['missing-key-accepted']);
      const where =
        keyIn.in === 'body'
          ? 'the body field idempotency_key'
          : keyIn.in === 'form'
            ? 'the form field idempotency_key'
            : 'the query parameter idem';
      expect(r.findings[0]?.message).toBe(`A request without ${where} was accepted with 201×1.`);
      const sent = r.requests[0];
      expect(`${sent?.path ?? ''} ${sent?.body ?? ''}`).not.toMatch(/idempotency_key|idem=/);
    }
  });

  it('skips an endpoint whose key is optional (key: { required: false }) under a contract that requires one', async () => {
    const r = await runFake(missingKey, { target: modelTarget(), endpoint: { contract: { keyRequired: false } } });
    expect(r.outcome.kind).toBe('skipped');
  });
});
