import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('rejected-then-valid', () => {
  it('finds a stored validation failure replayed to the corrected retry', async () => {
    const r = await auditDemo({ flaws: 'error-stored', only: ['rejected-then-valid'], endpoints: ['error-stored'] });
    expect(findingKeys(r)).toEqual(['rejection-replayed@error-stored', 'rejection-replayed@error-stored']);
    expect(r.findings[0]?.observed).toBe('400 replayed');
  });

  it('stays silent on the correct implementation', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['rejected-then-valid'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
