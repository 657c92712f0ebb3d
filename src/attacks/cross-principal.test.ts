import { describe, expect, it } from 'vitest';
import { crossPrincipal } from './cross-principal.js';
import { createStep, modelTarget, runFake, withSetup, type FakeTarget } from '../testing/index.js';

const callers = {
  headers: { Authorization: 'Bearer alice-token' },
  principals: { bob: { Authorization: 'Bearer bob-token' } },
};

describe('cross-principal', () => {
  it("finds another principal receiving the first principal's stored response, naming both", async () => {
    const r = await runFake(crossPrincipal, { target: modelTarget({ scopeByPrincipal: false }), ...callers });
    expect(r.kinds()).toEqual(['cross-principal-leak']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.message).toMatch(
      /^Principal 'bob' reused key \S+ of principal 'default' and received its stored response \(201\) instead of an execution of its own \(no side effect of its request was observed: 1 before it, 1 after\)\.$/,
    );
    expect(f?.message).not.toContain('token');
    expect(f?.sideEffects).toMatchObject({ expected: 2, observed: 1 });
    // Each request carried its own caller's credentials.
    expect(r.requests.map((q) => [q.principal, q.header('authorization')])).toEqual([
      ['default', 'Bearer alice-token'],
      ['bob', 'Bearer bob-token'],
    ]);
  });

  it('is no leak when both callers executed, even if the target answers them with identical bodies', async () => {
    const executed = new Set<string>();
    const target: FakeTarget = (req) => {
      const scoped = `${req.header('authorization')} ${req.key}`;
      const fresh = !executed.has(scoped);
      executed.add(scoped);
      return { status: 201, body: { status: 'accepted' }, writes: fresh ? 1 : 0 };
    };
    const r = await runFake(crossPrincipal, { target, ...callers });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
  });

  it("reports another caller blocked by the first caller's key", async () => {
    const target: FakeTarget = (req) =>
      req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1 } : { status: 409, body: { error: 'key in use' } };
    const r = await runFake(crossPrincipal, { target, ...callers });
    expect(r.kinds()).toEqual(['scope-collision']);
    expect(r.findings[0]).toMatchObject({ severity: 'medium', observed: '409' });
  });

  it('stays silent on a target that scopes keys by caller', async () => {
    const r = await runFake(crossPrincipal, { target: modelTarget(), ...callers });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
  });

  it('uses the principal the options name, and skips without another caller', async () => {
    const named = await runFake(crossPrincipal, {
      target: modelTarget(),
      headers: callers.headers,
      principals: { bob: { Authorization: 'Bearer b' }, carol: { Authorization: 'Bearer c' } },
      options: { principal: 'carol' },
    });
    expect(named.requests.map((q) => q.principal)).toEqual(['default', 'carol']);
    const none = await runFake(crossPrincipal, { target: modelTarget() });
    expect(none.outcome).toEqual({ kind: 'skipped', reason: 'target.principals declares no other caller' });
    const unknown = await runFake(crossPrincipal, { target: modelTarget(), ...callers, options: { principal: 'eve' } });
    expect(unknown.outcome).toEqual({
      kind: 'skipped',
      reason: "principal 'eve' is not declared under target.principals",
    });
  });

  it('is inconclusive when the first request is refused or the other caller cannot be judged', async () => {
    const refused = await runFake(crossPrincipal, { target: () => ({ status: 400 }), ...callers });
    expect(refused.outcome.kind).toBe('inconclusive');
    for (const status of [401, 403, 429, 500]) {
      const target: FakeTarget = (req) => (req.nth === 1 ? { status: 201, body: { id: 'p1' }, writes: 1 } : { status });
      const r = await runFake(crossPrincipal, { target, ...callers });
      expect(r.findings, String(status)).toEqual([]);
      expect(r.outcome.kind, String(status)).toBe('inconclusive');
    }
  });
});

describe('cross-principal on an endpoint with per-operation setup', () => {
  const endpoint = { path: '/charges/{{charge_id}}/refunds', setup: [createStep('charge', '/charges', 'charge_id')] };

  it('sets up the other caller’s own charge with its credentials, and finds a key store that ignores both caller and route', async () => {
    const api = withSetup(modelTarget({ scopeByPrincipal: false, scopeByRoute: false }));
    const r = await runFake(crossPrincipal, { target: api.target, endpoint, ...callers });
    expect(api.created).toEqual([
      { id: 'ch_1', principal: 'default' },
      { id: 'ch_2', principal: 'bob' },
    ]);
    expect(r.requests.filter((q) => q.phase === undefined).map((q) => [q.principal, q.path])).toEqual([
      ['default', '/charges/ch_1/refunds'],
      ['bob', '/charges/ch_2/refunds'],
    ]);
    expect(r.kinds()).toEqual(['cross-principal-leak']);
  });

  it('stays silent on a target that scopes keys by caller, whatever the observers read', async () => {
    for (const observe of [['ledger'], ['responseId']] as const) {
      const api = withSetup(modelTarget());
      const r = await runFake(crossPrincipal, { target: api.target, endpoint, observe, ...callers });
      expect(r.findings).toEqual([]);
    }
  });
});
