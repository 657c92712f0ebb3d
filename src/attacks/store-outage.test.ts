import { describe, expect, it } from 'vitest';
import { storeOutage } from './store-outage.js';
import { modelTarget, runFake, type FakeHooks, type FakeTarget } from '../testing/index.js';

const hooks: FakeHooks = { storeDown: 'ok', storeUp: 'ok' };
const withRestart: FakeHooks = { ...hooks, restart: 'ok', ready: 'ok' };
const statuses = (r: {
  exchanges: readonly { label: string; response?: { status: number }; error?: { code: string } }[];
}) => r.exchanges.map((e) => `${e.label}: ${e.response?.status ?? e.error?.code ?? '?'}`);

describe('store-outage', () => {
  it('finds a target that executes without deduplication while its store is down, for a fresh and a used key', async () => {
    const r = await runFake(storeOutage, { target: modelTarget({ onStoreDown: 'execute' }), hooks });
    expect(r.kinds()).toEqual(['fails-open', 'fails-open']);
    const [fresh, used] = r.findings;
    expect(fresh?.severity).toBe('critical');
    expect(fresh?.message).toMatch(/^With the key store down, a fresh key \S+ was executed without deduplication/);
    expect(fresh?.observed).toBe('3 side effects');
    expect(used?.message).toContain('used just before the outage');
    // Its record from before the outage survived: the retry after it was a replay.
    expect(used?.observed).toBe('2 side effects');
    expect(r.hooksRan()).toEqual(['storeDown', 'storeUp']);
  });

  it('stays silent on a target that refuses promptly while its store is down and serves the keys after', async () => {
    const r = await runFake(storeOutage, { target: modelTarget(), hooks });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(statuses(r)).toEqual([
      'before the outage: 201',
      'fresh key (store down): 503',
      'fresh key again (store down): 503',
      'used key (store down): 503',
      'fresh key (store back): 201',
      'used key (store back): 201',
    ]);
  });

  it('finds a key forgotten across the outage (a store without persistence), even when the outage was refused', async () => {
    const r = await runFake(storeOutage, { target: modelTarget({ storeKeepsKeys: false }), hooks });
    expect(r.kinds()).toEqual(['duplicate-write']);
    expect(r.findings[0]?.message).toContain('the store came back without it');
    expect(r.findings[0]?.exchanges.map((e) => e.response?.status)).toEqual([201, 503, 201]);
  });

  it('reports a target that hangs on its store as an availability finding, after one request', async () => {
    const r = await runFake(storeOutage, {
      target: modelTarget({ onStoreDown: 'hang' }),
      hooks,
      options: { timeoutMs: 2_000 },
    });
    expect(r.kinds()).toEqual(['outage-availability']);
    const f = r.findings[0];
    expect(f?.severity).toBe('medium');
    expect(f?.message).toMatch(/^With its key store down, requests hung past the 2000 ms timeout/);
    expect(statuses(r).filter((s) => s.includes('store down'))).toEqual(['fresh key (store down): timeout']);
  });

  it('reports a target that dies with its store, restarts it, and still judges the keys after', async () => {
    const r = await runFake(storeOutage, { target: modelTarget({ onStoreDown: 'die' }), hooks: withRestart });
    expect(r.kinds()).toEqual(['outage-availability']);
    expect(r.findings[0]?.message).toContain('stopped accepting connections');
    expect(r.hooksRan()).toEqual(['storeDown', 'storeUp', 'restart', 'ready']);
    expect(statuses(r).slice(-2)).toEqual(['fresh key (store back): 201', 'used key (store back): 201']);

    const noRestart = await runFake(storeOutage, { target: modelTarget({ onStoreDown: 'die' }), hooks });
    expect(noRestart.kinds()).toEqual(['outage-availability']);
    expect(noRestart.outcome.kind).toBe('inconclusive');
    expect(noRestart.outcome.reason).toContain('declares no restart hook');
  });

  it('reports a target that does not serve again after the store came back', async () => {
    // Its connection to the store never recovers: 503 for good once the store went away.
    const target: FakeTarget = (_req, env) =>
      (env.system?.storeEpoch ?? 1) > 1 || env.system?.storeUp === false
        ? { status: 503, body: { error: 'store_unavailable' } }
        : { status: 201, body: { id: 'p1' }, writes: 1 };
    const r = await runFake(storeOutage, { target, hooks, options: { recoverWaitMs: 3_000 } });
    expect(r.kinds()).toEqual(['outage-availability']);
    expect(r.findings[0]?.message).toContain('did not serve again within 3000 ms');
  });

  describe('hooks', () => {
    it('skips without hooks or without consent, and sends nothing', async () => {
      const none = await runFake(storeOutage, { target: modelTarget() });
      expect(none.outcome.kind).toBe('skipped');
      expect(none.outcome.reason).toContain('declares no storeDown / storeUp hooks');
      const off = await runFake(storeOutage, { target: modelTarget(), hooks, allowHooks: false });
      expect(off.outcome.reason).toMatch(/--allow-hooks$/);
      expect([...none.requests, ...off.requests]).toEqual([]);
    });

    it('a storeDown hook that fails is "not audited", and storeUp still runs', async () => {
      const r = await runFake(storeOutage, {
        target: modelTarget({ onStoreDown: 'execute' }),
        hooks: { ...hooks, storeDown: { exitCode: 1, output: 'Error: No such container: redis' } },
      });
      expect(r.findings).toEqual([]);
      expect(r.outcome.reason).toContain('the storeDown hook failed');
      expect(r.outcome.reason).toContain('No such container: redis');
      expect(r.hooksRan()).toEqual(['storeDown!', 'storeUp@restore']);
    });

    it('a storeUp hook that hangs is "not audited", and is tried again when the attack ends', async () => {
      const r = await runFake(storeOutage, {
        target: modelTarget(),
        hooks: { ...hooks, storeUp: { timedOut: true, durationMs: 10_000 } },
      });
      expect(r.outcome.reason).toContain('the storeUp hook failed');
      expect(r.outcome.reason).toContain('timed out after 10000 ms');
      expect(r.hooksRan()).toEqual(['storeDown', 'storeUp!', 'storeUp@restore!']);
    });

    it('is not audited when the request before the outage is refused, and takes nothing down', async () => {
      const r = await runFake(storeOutage, { target: () => ({ status: 401 }), hooks });
      expect(r.outcome.reason).toContain('the request before the outage was not accepted (401×1)');
      expect(r.hookRuns).toEqual([]);
    });
  });
});
