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

  it('does not count a replayed response of another key as a second write', async () => {
    // dedupe-by-body answers the first request with another key's stored response (a foreign id), and the
    // mismatching follower executes: two distinct ids in the answers, one write in the key's ledger.
    const r = await auditDemo({
      flaws: 'dedupe-by-body',
      only: ['in-flight-duplicate'],
      endpoints: ['dedupe-by-body'],
      seed: 7,
    });
    expect(findingKeys(r)).toEqual([]);
    expect(r.attacks[0]?.notes.join('\n')).toMatch(
      /the answers suggest 2 writes \(responseId 2\) but the target's records show 1 \(http 1\)/,
    );
  });

  it("skips when every first request was answered with another key's stored response", async () => {
    const r = await auditDemo({
      flaws: 'dedupe-by-body',
      only: ['distinct-keys', 'in-flight-duplicate'],
      endpoints: ['dedupe-by-body'],
    });
    expect(findingKeys(r)).toEqual(['over-deduplication@dedupe-by-body']);
    const a = r.attacks.find((x) => x.attack === 'in-flight-duplicate');
    expect(a?.status).toBe('skipped');
  });

  it('stays silent on the correct implementation', { timeout: 180_000 }, async () => {
    const r = await auditDemo({ flaws: 'none', only: ['in-flight-duplicate'], demo: { processingMs: 400 } });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
