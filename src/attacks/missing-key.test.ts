import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('missing-key', () => {
  it('finds a target that executes requests without the required key', async () => {
    const r = await auditDemo({ flaws: 'key-optional,ignore-key', only: ['missing-key'] });
    expect(findingKeys(r)).toEqual(['missing-key-accepted@ignore-key', 'missing-key-accepted@key-optional']);
    expect(r.findings[0]?.exchanges[0]?.request.headers).not.toHaveProperty('Idempotency-Key');
  });

  it('stays silent on the correct implementation (400)', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['missing-key'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
