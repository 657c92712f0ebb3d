import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('sequential-replay', () => {
  it('finds re-execution on retry when the target ignores the key', async () => {
    const r = await auditDemo({ flaws: 'ignore-key', only: ['sequential-replay'], endpoints: ['ignore-key'] });
    expect(findingKeys(r)).toEqual(['duplicate-write@ignore-key']);
    expect(r.findings[0]?.sideEffects).toMatchObject({ expected: 1, observed: 3 });
  });

  it('finds replays that differ from the original (201 then 200, new body) and lack the replay header', async () => {
    const r = await auditDemo({
      flaws: 'replay-divergent',
      only: ['sequential-replay'],
      endpoints: ['replay-divergent'],
    });
    expect(findingKeys(r)).toEqual(['replay-divergent@replay-divergent', 'replay-header-missing@replay-divergent']);
    const divergent = r.findings.find((f) => f.kind === 'replay-divergent');
    expect(divergent?.observed).toContain('status 201 first, 200 on replay');
    expect(divergent?.observed).toContain('body differs');
  });

  it('stays silent on the correct implementation', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['sequential-replay'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
