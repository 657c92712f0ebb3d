import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('connection-drop', () => {
  it('finds a target that executes a torn request and its retry twice', async () => {
    const r = await auditDemo({ flaws: 'ignore-key', only: ['connection-drop'], endpoints: ['ignore-key'] });
    expect(findingKeys(r)).toEqual(['duplicate-write@ignore-key']);
    const f = r.findings[0];
    expect(f?.exchanges[0]?.label).toBe('torn (reset-after-body)');
    expect(f?.exchanges[0]?.error?.code).toBe('reset');
  });

  it('stays silent on the correct implementation: half a request has no effect, the retry runs once', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['connection-drop'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.length).toBeGreaterThan(5);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
