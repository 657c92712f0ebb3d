import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('equivalent-payload', () => {
  it('finds a byte-exact fingerprint rejecting reordered and re-indented JSON', async () => {
    const r = await auditDemo({
      flaws: 'byte-exact-fingerprint',
      only: ['equivalent-payload'],
      endpoints: ['byte-exact-fingerprint'],
    });
    expect(findingKeys(r)).toEqual(['false-mismatch@byte-exact-fingerprint', 'false-mismatch@byte-exact-fingerprint']);
    expect(r.findings.every((f) => f.severity === 'low')).toBe(true);
    // Numbers written differently are informational: a note, never a finding.
    expect(r.attacks[0]?.notes.join('\n')).toContain('informational');
  });

  it('stays silent on the correct implementation', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['equivalent-payload'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
