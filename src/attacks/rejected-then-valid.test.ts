import { describe, expect, it } from 'vitest';
import { rejectedThenValid } from './rejected-then-valid.js';
import { modelTarget, runFake, type FakeRequest, type FakeTarget } from '../testing/index.js';

describe('rejected-then-valid', () => {
  it('finds a stored validation failure replayed to the corrected retry, for each invalid variant', async () => {
    const r = await runFake(rejectedThenValid, { target: modelTarget({ storeRejections: true }) });
    expect(r.kinds()).toEqual(['rejection-replayed', 'rejection-replayed']);
    expect(r.findings.map((f) => f.observed)).toEqual(['400 replayed', '400 replayed']);
    expect(r.findings.map((f) => f.severity)).toEqual(['high', 'high']);
    expect(r.findings[0]?.message).toMatch(
      /^Key \S+ was first sent with body\.amount as a string \(answered 400\); the valid request with the same key was then answered 400, the stored rejection instead of executing/,
    );
    expect(r.findings[1]?.message).toContain('truncated JSON');
  });

  it('finds a corrected retry refused with another answer', async () => {
    const target: FakeTarget = (req) =>
      req.label.endsWith('then valid')
        ? { status: 409, body: { error: 'key used' } }
        : { status: 400, body: { error: 'bad' } };
    const r = await runFake(rejectedThenValid, { target, options: { inFlightRetries: 0 } });
    expect(r.kinds()).toEqual(['valid-refused', 'valid-refused']);
    expect(r.findings[0]?.observed).toBe('409');
  });

  it('stays silent on a target that validates before touching the key store', async () => {
    const r = await runFake(rejectedThenValid, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.requests.map((q) => q.label)).toEqual([
      'wrong-type (body.amount as a string)',
      'wrong-type then valid',
      'malformed-json (truncated JSON)',
      'malformed-json then valid',
    ]);
    expect(r.requests[0]?.json()).toMatchObject({ amount: 'not-a-number' });
  });

  it('retries a valid request answered in flight before judging it', async () => {
    const model = modelTarget();
    const target: FakeTarget = (req, env) =>
      req.label.endsWith('then valid') ? { status: 409, body: { error: 'in flight' } } : model(req, env);
    const r = await runFake(rejectedThenValid, { target });
    expect(r.requests.filter((q) => q.label.includes('retry')).map((q) => q.label)).toContain(
      'wrong-type then valid, retry 1',
    );
  });

  it('skips an endpoint without a body, and is inconclusive when no invalid variant is rejected', async () => {
    const bodiless = await runFake(rejectedThenValid, { target: modelTarget(), endpoint: { body: undefined } });
    expect(bodiless.outcome.kind).toBe('skipped');
    // A crash on an invalid body says nothing about whether it was bound to the key either.
    const crashing = await runFake(rejectedThenValid, {
      target: (req) => (req.label.endsWith('then valid') ? { status: 201, writes: 1 } : { status: 500 }),
    });
    expect(crashing.findings).toEqual([]);
    expect(crashing.outcome.kind).toBe('inconclusive');
    expect(crashing.notes[0]).toBe(
      'the body.amount as a string variant was answered 500, so it says nothing about IK-14',
    );
    const lax = await runFake(rejectedThenValid, { target: modelTarget({ validate: () => true }) });
    expect(lax.findings).toEqual([]);
    expect(lax.outcome.kind).toBe('inconclusive');
    expect(lax.notes).toEqual([
      'the body.amount as a string variant was answered 201, so it says nothing about IK-14',
      'the truncated JSON variant was answered 201, so it says nothing about IK-14',
    ]);
  });
});

describe('rejected-then-valid on a form body', () => {
  const form = { amount: 500, currency: 'usd' };
  const keyIn = { in: 'form', name: 'idempotency_key' } as const;
  const validForm = (req: FakeRequest): boolean => {
    const f = new URLSearchParams(req.body ?? '');
    return /^\d+$/.test(f.get('amount') ?? '') && f.get('currency') === 'usd';
  };

  it('finds a stored rejection of amount=abc and of a form cut short, the key kept in its field', async () => {
    const r = await runFake(rejectedThenValid, {
      target: modelTarget({ storeRejections: true, keyIn, validate: validForm }),
      endpoint: { form, keyIn },
    });
    expect(r.kinds()).toEqual(['rejection-replayed', 'rejection-replayed']);
    expect(r.findings.map((f) => /sent with (.*) \(answered/.exec(f.message)?.[1])).toEqual([
      'form amount=abc',
      'the form cut short in its last value',
    ]);
    const invalid = r.requests.filter((q) => !q.label.includes('then valid')).map((q) => q.body);
    expect(invalid).toEqual([
      `amount=abc&currency=usd&idempotency_key=${r.requests[0]?.key ?? ''}`,
      `idempotency_key=${r.requests[2]?.key ?? ''}&amount=500&currency=u`,
    ]);
  });

  it('stays silent on a target that validates a form before the key store', async () => {
    const r = await runFake(rejectedThenValid, {
      target: modelTarget({ keyIn, validate: validForm }),
      endpoint: { form, keyIn },
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
  });
});
