import { describe, expect, it } from 'vitest';
import { crossNodeBurst } from './cross-node-burst.js';
import { modelTarget, runFake } from '../testing/index.js';

const nodes = ['http://node1.test', 'http://node2.test'];

describe('cross-node-burst', () => {
  it('finds instances that each keep their own key store, with the copies spread over every node', async () => {
    const r = await runFake(crossNodeBurst, { target: modelTarget({ storeScope: 'node' }), nodes });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.message).toMatch(
      /^6 identical requests with key \S+, spread over 2 nodes and released together, produced 2 side effects \(node1: 201×1, 409×2; node2: 201×1, 409×2\)\.$/,
    );
    const origins = new Set(f?.exchanges.map((e) => new URL(e.request.url).origin));
    expect([...origins].sort()).toEqual(nodes);
    // The first duplicate ends the attack.
    expect(r.bursts).toHaveLength(1);
  });

  it('finds the check-then-act race across nodes sharing one store', async () => {
    const r = await runFake(crossNodeBurst, { target: modelTarget({ inFlight: 'execute' }), nodes });
    expect(r.kinds()).toEqual(['duplicate-write']);
  });

  it('stays silent when the nodes share the store, after every round', async () => {
    const r = await runFake(crossNodeBurst, { target: modelTarget(), nodes, options: { perNode: 2, rounds: 4 } });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.bursts.map((b) => b.exchanges.length)).toEqual([4, 4, 4, 4]);
  });

  it('skips with fewer than two distinct nodes', async () => {
    for (const n of [[], ['http://node1.test'], ['http://node1.test', 'http://node1.test']]) {
      const r = await runFake(crossNodeBurst, { target: modelTarget({ storeScope: 'node' }), nodes: n });
      expect(r.outcome.kind).toBe('skipped');
      expect(r.outcome.reason).toContain('at least 2');
      expect(r.requests).toEqual([]);
    }
  });

  it('is inconclusive when no node accepts the requests', async () => {
    const r = await runFake(crossNodeBurst, { target: () => ({ status: 503 }), nodes });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('inconclusive');
  });
});
