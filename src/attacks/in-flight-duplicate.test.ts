import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('in-flight-duplicate', () => {
  it('finds a duplicate executed while the original is still running', async () => {
    // Slow processing keeps the original in flight even on a loaded machine.
    const r = await auditDemo({
      flaws: 'in-flight-executed',
      only: ['in-flight-duplicate'],
      endpoints: ['in-flight-executed'],
      demo: { processingMs: 400 },
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@in-flight-executed']);
    expect(r.findings[0]?.sideEffects?.observed).toBeGreaterThan(1);
  });

  it('stays silent on the correct implementation', { timeout: 180_000 }, async () => {
    const r = await auditDemo({ flaws: 'none', only: ['in-flight-duplicate'], demo: { processingMs: 400 } });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
