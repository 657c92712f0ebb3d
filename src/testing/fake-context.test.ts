import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AttackRun } from '../engine/attack-context.js';
import { RunSetup } from '../engine/setup.js';
import { deriveSeed, Rng } from '../random/rng.js';
import { InterruptedError, ObserverError, RequestBudgetError } from '../errors/errors.js';
import type { HttpEngine } from '../http/engine.js';
import { defineAttack, type Attack, type AttackContext, type RequestOverrides } from '../attacks/types.js';
import { FakeAttackRun, runFake } from './fake-context.js';
import { FakeDownstream, type FakeTarget } from './fake-target.js';
import { modelTarget } from './model-target.js';

/** An attack whose run is the test's own code. */
function probe(run: (ctx: AttackContext<{ n: number }>) => Promise<void>): Attack {
  return defineAttack({
    meta: {
      id: 'probe',
      title: 'probe',
      description: 'a test attack',
      sends: 'whatever the test sends',
      finds: '`odd` (low)',
      options: z.strictObject({ n: z.number().default(3) }),
      timingDependent: false,
      findings: { odd: { severity: 'low', title: 'odd', remediation: 'none', references: [] } },
    },
    run,
  });
}

const created: FakeTarget = () => ({ status: 201, body: { id: 'p1' }, writes: 1 });

describe('the fake attack context', () => {
  it('builds requests exactly as the engine context does', () => {
    const attack = probe(() => Promise.resolve());
    const fake = new FakeAttackRun(attack, {
      target: created,
      headers: { Authorization: 'Bearer alice', 'X-Trace': '{{key}}' },
      principals: { bob: { Authorization: 'Bearer bob' } },
      endpoint: { path: '/p/{{key}}?u={{uuid}}', headers: { 'Content-Type': 'application/json; charset=utf-8' } },
    });
    const seed = 1;
    const real = new AttackRun({
      scenario: fake.scenario,
      endpoint: fake.endpoint,
      attack,
      options: fake.ctx.options,
      rng: new Rng(deriveSeed(seed, 'pay', 'probe')),
      uuidRng: new Rng(deriveSeed(seed, 'pay', 'probe', 'uuid')),
      seed,
      engine: {} as HttpEngine,
      setup: new RunSetup({
        scenario: fake.scenario,
        uuid: () => () => 'u',
        secret: () => undefined,
        isSecretHeader: () => false,
      }),
      observers: [],
      signal: new AbortController().signal,
      hooks: fake.ctx.hooks,
      reproCommand: '',
      onFinding: () => undefined,
    });
    const cases: RequestOverrides[] = [
      { label: 'plain', key: 'k 1' },
      { label: 'no key', key: undefined },
      { label: 'other principal', key: 'k2', principal: 'bob', method: 'PUT', body: { kind: 'json', value: { a: 1 } } },
      { label: 'raw', key: 'k3', bodyText: () => '{"a":', headers: { 'idempotency-key': 'spelled' } },
      { label: 'form', key: 'k5', body: { kind: 'form', fields: [['a', '{{uuid}}']] } },
      { label: 'no body', key: 'k4', body: undefined, baseUrl: 'http://node2.test', timeoutMs: 5 },
    ];
    for (const o of cases) expect(fake.ctx.request(o), o.label).toEqual(real.ctx.request(o));
    expect(fake.ctx.newKey()).toBe(real.ctx.newKey());
    expect(fake.ctx.contract).toEqual(real.ctx.contract);
    expect(fake.ctx.options).toEqual({ n: 3 });
  });

  it('lets a request sent before an earlier answer arrive while that one is still running', async () => {
    const seen: { label: string; at: number }[] = [];
    const target: FakeTarget = (req) => {
      seen.push({ label: req.label, at: req.at });
      return { status: 201, body: { id: req.label }, latencyMs: req.label === 'slow' ? 400 : 10 };
    };
    const r = await runFake(
      probe(async (ctx) => {
        const slow = ctx.send(ctx.request({ label: 'slow', key: 'k' }));
        await ctx.sleep(5);
        const fast = await ctx.send(ctx.request({ label: 'fast', key: 'k' }));
        const first = await slow;
        expect(fast.timings.sent).toBeLessThan(first.timings.headers ?? 0);
        await ctx.send(ctx.request({ label: 'after', key: 'k' }));
      }),
      { target },
    );
    expect(seen).toEqual([
      { label: 'slow', at: 0 },
      { label: 'fast', at: 5 },
      { label: 'after', at: 400 },
    ]);
    expect(r.requests.map((q) => q.nth)).toEqual([1, 2, 3]);
    expect(r.now).toBe(410);
  });

  it('releases a burst at one instant, in order, and resolves the sync mode as the engine does', async () => {
    const r = await runFake(
      probe(async (ctx) => {
        const b = await ctx.burst([0, 1, 2].map((i) => ctx.request({ label: `c${i}`, key: 'k' })));
        expect(b.sync).toBe('last-byte');
        expect(b.exchanges.map((e) => e.burst)).toEqual([b.id, b.id, b.id]);
        const h = await ctx.burst([ctx.request({ label: 'h', key: 'k2' })], { sync: 'barrier' });
        expect(h.sync).toBe('barrier');
      }),
      { target: created },
    );
    expect(r.requests.slice(0, 3).map((q) => [q.at, q.burst?.index, q.via])).toEqual([
      [0, 0, 'burst'],
      [0, 1, 'burst'],
      [0, 2, 'burst'],
    ]);
    expect(r.bursts.map((b) => b.exchanges.length)).toEqual([3, 1]);
    const h2 = await runFake(
      probe(async (ctx) => {
        expect((await ctx.burst([ctx.request({ label: 'x', key: 'k' })])).sync).toBe('single-packet');
      }),
      { target: created, http2: true },
    );
    expect(h2.exchanges).toHaveLength(1);
  });

  it('marks what was sent with the target to itself: inside ctx.exclusive, bursts and faulted sends', async () => {
    const r = await runFake(
      probe(async (ctx) => {
        const req = (label: string): ReturnType<typeof ctx.request> => ctx.request({ label, key: ctx.newKey() });
        await ctx.send(req('plain'));
        const inner = await ctx.exclusive(async () => {
          await ctx.send(req('inside'));
          return ctx.exclusive(() => ctx.send(req('nested')));
        });
        expect(inner.label).toBe('nested');
        await ctx.burst([req('burst')]);
        await ctx.sendWithFault(req('fault'), { kind: 'reset-after-body' });
        await ctx.send(req('after'));
      }),
      { target: created },
    );
    expect(r.requests.map((q) => [q.label, q.exclusive])).toEqual([
      ['plain', false],
      ['inside', true],
      ['nested', true],
      ['burst', true],
      ['fault', true],
      ['after', false],
    ]);
    expect(r.exclusiveSections).toBe(2);
  });

  it('releases copies with an offset that much later, in arrival order, with their arrival times when asked', async () => {
    const r = await runFake(
      probe(async (ctx) => {
        const specs = [0, 1, 2].map((i) => ctx.request({ label: `c${i}`, key: 'k' }));
        const b = await ctx.burst(specs, { offsetsMs: [5, 0, 5] });
        expect(b.exchanges.map((e) => [e.label, e.timings.sent, e.serverArrivalNs])).toEqual([
          ['c0', 5, '5000000'],
          ['c1', 0, '0'],
          ['c2', 5, '5000000'],
        ]);
        expect([b.releaseSpreadMs, b.arrivalSpreadMs]).toEqual([5, 5]);
      }),
      { target: created, reportsArrival: true },
    );
    expect(r.requests.map((q) => [q.label, q.at, q.nth, q.burst?.index])).toEqual([
      ['c1', 0, 1, 1],
      ['c0', 5, 2, 0],
      ['c2', 5, 3, 2],
    ]);
    expect(r.bursts[0]?.offsetsMs).toEqual([5, 0, 5]);
    expect(r.now).toBe(6);
  });

  it('counts writes per key, judges them with the engine rule, and lets the records overrule the answers', async () => {
    // The second key is answered with the first key's stored response (a foreign id) and writes nothing.
    const target: FakeTarget = (req) =>
      req.key === 'k1'
        ? { status: 201, body: { id: 'p1' }, writes: 1 }
        : { status: 201, body: { id: req.nth === 1 ? 'p1' : 'p2' } };
    const r = await runFake(
      probe(async (ctx) => {
        await ctx.send(ctx.request({ label: 'a', key: 'k1' }));
        await ctx.send(ctx.request({ label: 'b', key: 'k2' }));
        await ctx.send(ctx.request({ label: 'c', key: 'k2' }));
        const k1 = await ctx.sideEffects('k1');
        expect([k1.observed, k1.writes, k1.disputed]).toEqual([1, 1, undefined]);
        const k2 = await ctx.sideEffects('k2');
        expect([k2.observed, k2.writes]).toEqual([2, 0]);
        expect(k2.disputed).toMatch(/responseId 2.*ledger 0/);
        expect(k2.verdict(1).counts.map((c) => c.observer)).toEqual(['responseId', 'ledger']);
      }),
      { target, observe: ['responseId', 'ledger'] },
    );
    expect(r.writes('k1')).toBe(1);
    expect(r.writes('k2')).toBe(0);
  });

  it('fails to count as the engine does: no observer, or an observer that cannot', async () => {
    const count = (observe: ConstructorParameters<typeof FakeAttackRun>[1]['observe']) =>
      runFake(
        probe(async (ctx) => {
          await ctx.sideEffects('k');
        }),
        { target: created, ...(observe ? { observe } : {}) },
      );
    await expect(count([])).rejects.toThrow(/declares no observer/);
    const broken = { count: () => Promise.reject(new ObserverError('http', 'ledger answered 500')) };
    await expect(count([broken])).rejects.toBeInstanceOf(ObserverError);
  });

  it('enforces the request budget and stops at an interruption like the engine', async () => {
    const many = probe(async (ctx) => {
      for (let i = 0; i < 10; i++) await ctx.send(ctx.request({ label: `r${i}`, key: `k${i}` }));
    });
    const bounded = new FakeAttackRun(many, { target: created, maxRequests: 4 });
    await expect(bounded.run()).rejects.toBeInstanceOf(RequestBudgetError);
    expect(bounded.requests).toHaveLength(4);
    const ac = new AbortController();
    ac.abort();
    await expect(runFake(many, { target: created, signal: ac.signal })).rejects.toBeInstanceOf(InterruptedError);
  });

  it('applies client faults: half a body, a reset after the body, an abort before or after the answer', async () => {
    const r = await runFake(
      probe(async (ctx) => {
        const mid = await ctx.sendWithFault(ctx.request({ label: 'mid', key: 'k1' }), { kind: 'reset-mid-body' });
        expect(mid.exchange.error?.code).toBe('reset');
        expect(mid.fault).toMatchObject({ applied: true, completeRequestSent: false });
        expect(mid.fault.bytesWritten).toBeLessThan(mid.fault.totalBytes);
        const after = await ctx.sendWithFault(ctx.request({ label: 'after', key: 'k2' }), {
          kind: 'reset-after-body',
        });
        expect(after.exchange.error?.code).toBe('reset');
        expect(after.fault).toMatchObject({ applied: true, completeRequestSent: true });
        const late = await ctx.sendWithFault(ctx.request({ label: 'late', key: 'k3' }), {
          kind: 'abort-after-send',
          afterMs: 0,
        });
        expect(late.exchange.error?.code).toBe('aborted');
        expect(late.fault.applied).toBe(true);
        const early = await ctx.sendWithFault(ctx.request({ label: 'early', key: 'k4' }), {
          kind: 'abort-after-send',
          afterMs: 50,
        });
        expect(early.exchange.response?.status).toBe(201);
        expect(early.fault.applied).toBe(false);
        const none = await ctx.sendWithFault(ctx.request({ label: 'none', key: 'k5', body: undefined }), {
          kind: 'reset-mid-body',
        });
        expect(none.fault.applied).toBe(false);
      }),
      { target: created },
    );
    const [mid, after, late] = r.requests;
    expect(mid?.torn).toBe(true);
    expect(mid?.body?.length).toBeLessThan(
      JSON.stringify({ amount: 1000, currency: 'usd', customer: 'cus_42' }).length,
    );
    expect([after?.hangUpAfterMs, late?.hangUpAfterMs]).toEqual([0, 0]);
    // The torn request reached the target, which wrote for it; the one without a body was never sent.
    expect(r.requests.map((q) => q.label)).toEqual(['mid', 'after', 'late', 'early']);
    expect(r.writes('k1')).toBe(1);
  });

  it('builds findings with the engine builder and refuses kinds the meta does not declare', async () => {
    const report = (kind: string): Promise<FakeAttackRun> =>
      runFake(
        probe((ctx) => {
          ctx.report({ kind, message: 'm', expected: 'e', observed: 'o', exchanges: [] });
          return Promise.resolve();
        }),
        { target: created },
      );
    const r = await report('odd');
    expect(r.findings[0]).toMatchObject({ kind: 'odd', severity: 'low', attack: 'probe', endpoint: 'pay' });
    expect(r.findings[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    await expect(report('strange')).rejects.toThrow(/undeclared finding kind 'strange'/);
  });

  it('gives the attack a downstream to program when the sink observes', async () => {
    const r = await runFake(
      probe(async (ctx) => {
        expect(ctx.downstream).toBeDefined();
        ctx.downstream?.program('k', { fault: 'reset', times: 1 });
        await ctx.send(ctx.request({ label: 'a', key: 'k' }));
        expect(ctx.downstream?.calls('k').map((c) => c.outcome)).toEqual(['applied-lost', 'applied']);
        expect((await ctx.sideEffects('k')).writes).toBe(2);
      }),
      { target: modelTarget({ downstream: 'unkeyed' }), observe: ['sink', 'ledger'] },
    );
    expect(r.exchanges[0]?.response?.status).toBe(201);
    const none = new FakeAttackRun(
      probe(() => Promise.resolve()),
      { target: created },
    );
    expect(none.ctx.downstream).toBeUndefined();
  });
});

describe('FakeDownstream', () => {
  it('applies, fails, loses and deduplicates calls like the sink', () => {
    const d = new FakeDownstream();
    d.program('k', { fault: 'fail', times: 1, status: 502 });
    expect(d.call('k', 'k')).toEqual({ outcome: 'failed', answered: true, status: 502 });
    expect(d.call('k', 'k').outcome).toBe('applied');
    expect(d.call('k', 'k').outcome).toBe('replayed');
    expect(d.call('k', undefined).outcome).toBe('applied');
    expect(d.applied('k')).toBe(2);
    d.program('h', { fault: 'hang', times: 1 });
    expect(d.call('h', 'h')).toEqual({ outcome: 'applied-lost', answered: false, status: 200 });
    expect(d.calls('h')).toHaveLength(1);
  });
});
