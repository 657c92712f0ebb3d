import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('cross-node-burst', () => {
  it('finds instances that each keep their own key store', async () => {
    const r = await auditDemo({
      flaws: 'per-node-store',
      only: ['cross-node-burst'],
      endpoints: ['per-node-store'],
      nodes: 2,
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@per-node-store']);
    const f = r.findings[0];
    expect(f?.message).toContain('spread over 2 nodes');
    const origins = new Set(f?.exchanges.filter((e) => e.key !== undefined).map((e) => new URL(e.request.url).origin));
    expect(origins.size).toBe(2);
  });

  it('finds the check-then-act race across nodes sharing one store', async () => {
    const r = await auditDemo({ flaws: 'race', only: ['cross-node-burst'], endpoints: ['race'], nodes: 2 });
    expect(findingKeys(r)).toEqual(['duplicate-write@race']);
  });

  it('stays silent when the nodes share the store', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['cross-node-burst'], nodes: 2 });
    expect(r.findings).toEqual([]);
    expect(r.attacks.length).toBeGreaterThan(5);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });

  it('skips with a note when fewer than two nodes are declared', async () => {
    const r = await auditDemo({ flaws: 'per-node-store', only: ['cross-node-burst'], endpoints: ['per-node-store'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks[0]?.status).toBe('skipped');
    expect(r.attacks[0]?.reason).toContain('at least 2');
  });
});
