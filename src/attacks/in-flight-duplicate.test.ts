import { describe, expect, it } from 'vitest';
import { inFlightDuplicate } from './in-flight-duplicate.js';
import { createStep, modelTarget, runFake, withSetup, type FakeTarget } from '../testing/index.js';

describe('in-flight-duplicate', () => {
  it('finds a duplicate executed while the original is still running', async () => {
    const r = await runFake(inFlightDuplicate, { target: modelTarget({ inFlight: 'execute', processingMs: 400 }) });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.sideEffects?.observed).toBeGreaterThan(1);
    expect(f?.message).toMatch(
      /^Key \S+: a duplicate and a mismatching request sent while the first was running produced 3 side effects/,
    );
    // The followers left after the first request and before its answer.
    const [first, dup, mis] = f?.exchanges ?? [];
    expect(first?.label).toBe('round[1] first');
    expect(dup?.timings.sent).toBe(5);
    expect(mis?.label).toMatch(/^round\[1\] mismatch \(body\.amount: 1000 → 1001\)$/);
    expect(dup?.timings.sent ?? 0).toBeLessThan(first?.timings.headers ?? 0);
  });

  it('sends each round with the target to itself, so parallel lanes cannot shift the followers against the first', async () => {
    const r = await runFake(inFlightDuplicate, { target: modelTarget({ processingMs: 400 }) });
    expect(r.exclusiveSections).toBe(3);
    expect(r.requests.filter((q) => q.label.startsWith('round'))).toHaveLength(9);
    expect(r.requests.filter((q) => q.label.startsWith('round') && !q.exclusive)).toEqual([]);
  });

  it('stays silent on a target that answers followers of a running request with 409 or 422', async () => {
    const r = await runFake(inFlightDuplicate, { target: modelTarget({ processingMs: 400 }) });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.exchanges.filter((e) => e.label.includes('duplicate')).map((e) => e.response?.status)).toEqual([
      409, 409, 409,
    ]);
    expect(r.exchanges.filter((e) => e.label.includes('mismatch')).map((e) => e.response?.status)).toEqual([
      422, 422, 422,
    ]);
  });

  it('sends the first request with firstRequestHeaders, and no mismatch when told not to', async () => {
    const r = await runFake(inFlightDuplicate, {
      target: modelTarget({ processingMs: 400 }),
      options: { firstRequestHeaders: { 'X-Slow': '400' }, mismatch: false, rounds: 1 },
    });
    expect(r.requests.map((q) => [q.label, q.header('x-slow')])).toEqual([
      ['round[1] first', '400'],
      ['round[1] duplicate', undefined],
    ]);
  });

  it('reports a follower answered with a status outside the contract', async () => {
    const target: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1, latencyMs: 400 } : { status: 500 };
    const r = await runFake(inFlightDuplicate, { target });
    expect(r.kinds()).toEqual(['in-flight-status']);
    expect(r.findings[0]?.message).toContain('the identical duplicate was answered 500 (expected 409)');
    expect(r.findings[0]?.message).toContain('the mismatching request was answered 500 (expected 422/409)');
    // 503 for a request in flight is outside the IETF contract but one of the lenient profile's statuses.
    const busy: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1, latencyMs: 400 } : { status: 503 };
    expect((await runFake(inFlightDuplicate, { target: busy })).kinds()).toEqual(['in-flight-status']);
    expect((await runFake(inFlightDuplicate, { target: busy, contract: { profile: 'lenient' } })).findings).toEqual([]);
  });

  it('does not blame the key for a mismatch that is refused on its own, and does when it is valid alone', async () => {
    // The mutation makes the body invalid (amount 1001 is over this target's limit): 400 with any key.
    const strict: FakeTarget = (req) => {
      if (req.body?.includes('1001')) return { status: 400 };
      return req.nth === 1 ? { status: 201, body: { id: `p-${req.key}` }, writes: 1, latencyMs: 400 } : { status: 409 };
    };
    const r = await runFake(inFlightDuplicate, { target: strict });
    expect(r.findings).toEqual([]);
    expect(r.notes.join('\n')).toContain(
      'the mismatching request (body.amount: 1000 → 1001) is refused with a fresh key too: its 400 answers the body, not the key',
    );
    expect(r.exchanges.filter((e) => e.label.startsWith('mismatch alone'))).toHaveLength(1);
    // A 400 only under the running key is about the key: an undocumented in-flight status.
    const keyed: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: `p-${req.key}` }, writes: 1, latencyMs: 400 } : { status: 400 };
    const found = await runFake(inFlightDuplicate, { target: keyed });
    expect(found.kinds()).toEqual(['in-flight-status']);
    expect(found.findings[0]?.message).toContain('the mismatching request was answered 400 (expected 422/409)');
  });

  it('is inconclusive when the first request always answered before the followers left', async () => {
    const r = await runFake(inFlightDuplicate, { target: modelTarget({ processingMs: 1 }) });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
    expect(r.outcome.reason).toMatch(
      /^in 3 rounds the first request always answered before the followers were sent; slow it down/,
    );
  });

  it('does not count a replayed response of another key as a second write, and skips when every round had one', async () => {
    // The first request gets another key's stored response (a foreign id), the mismatch executes:
    // two distinct ids in the answers, one write in the key's records.
    const foreign: FakeTarget = (req) =>
      req.label.endsWith('first')
        ? { status: 201, body: { id: 'foreign' }, latencyMs: 400 }
        : req.label.includes('mismatch')
          ? { status: 201, body: { id: `own-${req.key}` }, writes: 1 }
          : { status: 409 };
    const r = await runFake(inFlightDuplicate, { target: foreign, observe: ['responseId', 'ledger'] });
    expect(r.findings).toEqual([]);
    expect(r.notes.join('\n')).toMatch(
      /the answers suggest 2 writes \(responseId 2\) but the target's records show 1 \(ledger 1\)/,
    );
    expect(r.outcome.kind).toBe('skipped');
    expect(r.outcome.reason).toContain('distinct-keys judges deduplication across keys');
  });
});

describe('in-flight-duplicate on an endpoint with per-operation setup', () => {
  it('creates the charge before the first request, so the followers still leave while it runs', async () => {
    const api = withSetup(modelTarget({ inFlight: 'execute', processingMs: 400 }));
    const r = await runFake(inFlightDuplicate, {
      target: api.target,
      endpoint: { path: '/charges/{{charge_id}}/refunds', setup: [createStep('charge', '/charges', 'charge_id')] },
    });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const [setup, first, dup] = r.findings[0]?.exchanges ?? [];
    expect(setup?.phase).toBe('setup');
    expect(dup?.timings.sent ?? 0).toBeLessThan(first?.timings.headers ?? 0);
    expect(new Set([first, dup].map((e) => e?.request.url)).size).toBe(1);
  });
});
