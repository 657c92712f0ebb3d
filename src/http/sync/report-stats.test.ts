import { describe, expect, it } from 'vitest';
import { auditDemo } from '../../../test/helpers/audit-demo.js';
import type { AuditResult } from '../../result/result.js';

describe('burst timing in the audit result', () => {
  it('reports per-mode release and arrival statistics across the run’s bursts', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['concurrent-burst'], endpoints: ['correct'] });
    const attack = r.attacks.find((a) => a.attack === 'concurrent-burst');
    expect(attack?.bursts.length).toBeGreaterThan(0);
    expect(attack?.bursts.every((b) => b.sync === 'last-byte')).toBe(true);
    const stats = r.burstStats?.['last-byte'];
    expect(stats?.bursts).toBe(attack?.bursts.length);
    expect(stats?.arrival?.count).toBe(attack?.bursts.length);
    expect(stats?.arrival?.median).toBeGreaterThanOrEqual(0);
    expect(stats?.release?.best).toBeLessThanOrEqual(stats?.release?.worst ?? -1);
    // And it survives the JSON report.
    const reread = JSON.parse(JSON.stringify(r)) as AuditResult;
    expect(reread.burstStats?.['last-byte']?.bursts).toBe(stats?.bursts);
  }, 30_000);
});
