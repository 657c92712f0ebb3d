import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('cross-principal', () => {
  it("finds another principal receiving the first principal's response, naming both without secrets", async () => {
    const r = await auditDemo({
      flaws: 'no-principal-scope',
      only: ['cross-principal'],
      endpoints: ['no-principal-scope'],
    });
    expect(findingKeys(r)).toEqual(['cross-principal-leak@no-principal-scope']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.message).toContain("'bob'");
    expect(f?.message).toContain("'default'");
    expect(JSON.stringify(f)).not.toContain('demo-bob-token');
    expect(JSON.stringify(f)).not.toContain('demo-alice-token');
  });

  it('stays silent on the correct implementation', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['cross-principal'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
