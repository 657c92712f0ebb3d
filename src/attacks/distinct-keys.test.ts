import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('distinct-keys', () => {
  it('finds a target that deduplicates by body across keys', async () => {
    const r = await auditDemo({ flaws: 'dedupe-by-body', only: ['distinct-keys'], endpoints: ['dedupe-by-body'] });
    expect(findingKeys(r)).toEqual(['over-deduplication@dedupe-by-body']);
    // The id observer sees the replayed foreign id as "1"; the ledger reads the records, and the records rule.
    expect(r.findings[0]?.sideEffects?.observed).toBe(0);
  });

  it('stays silent on the correct implementation', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['distinct-keys'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
