import { describe, expect, it } from 'vitest';
import { distinctKeys } from './distinct-keys.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

describe('distinct-keys', () => {
  it("finds a target that answers a new key with another key's stored response, judged by the records", async () => {
    const r = await runFake(distinctKeys, {
      target: modelTarget({ dedupeByBody: true }),
      observe: ['responseId', 'ledger'],
    });
    expect(r.kinds()).toEqual(['over-deduplication']);
    const f = r.findings[0];
    expect(f?.severity).toBe('medium');
    // The id observer sees the replayed foreign id as "1"; the ledger reads the records, and the records rule.
    expect(f?.sideEffects?.observed).toBe(0);
    expect(f?.sideEffects?.counts.map((c) => [c.observer, c.count])).toEqual([
      ['responseId', 1],
      ['ledger', 0],
    ]);
    expect(f?.message).toMatch(/answered 201×1 but no side effect was recorded for it \(key \S+: 1\)\.$/);
    expect(r.notes.join('\n')).toMatch(/the answers suggest 1 writes \(responseId 1\) but the target's records show 0/);
  });

  it('finds a new key refused because the body was seen before', async () => {
    const target: FakeTarget = (req) =>
      req.label === 'key-1'
        ? { status: 201, body: { id: 'p1' }, writes: 1 }
        : { status: 409, body: { error: 'duplicate' } };
    const r = await runFake(distinctKeys, { target });
    expect(r.kinds()).toEqual(['over-deduplication']);
    expect(r.findings[0]?.message).toMatch(/was refused with 409×1\.$/);
    expect(r.findings[0]?.observed).toBe('1 for the first key, 0 for the second');
  });

  it('stays silent on a correct target, after two requests with two keys and the same body', async () => {
    const r = await runFake(distinctKeys, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    const [a, b] = r.requests;
    expect(a?.key).not.toBe(b?.key);
    expect(a?.body).toBe(b?.body);
    expect((b?.at ?? 0) - (a?.at ?? 0)).toBeGreaterThanOrEqual(50);
  });

  it('is inconclusive when the first request is refused or the second fails in transport', async () => {
    const refused = await runFake(distinctKeys, { target: () => ({ status: 400 }) });
    expect(refused.outcome).toEqual({ kind: 'inconclusive', reason: 'the first request was not accepted (400×1)' });
    const lost = await runFake(distinctKeys, {
      target: (req) =>
        req.nth === 1 && req.label === 'key-1' ? { status: 201, body: { id: 'p1' }, writes: 1 } : { error: 'reset' },
    });
    expect(lost.findings).toEqual([]);
    expect(lost.outcome.kind).toBe('inconclusive');
    expect(lost.outcome.reason).toContain('failed in transport');
  });
});
