/**
 * A finding's fingerprint is its identity for baselines and code scanning: the same flaw found
 * with another seed and another key salt must have the same fingerprint. Every attack that finds
 * a flaw of the demo target runs twice, on an endpoint with that flaw, with different seeds and
 * salts (a fresh target each time); the fingerprints must come back the same.
 */
import { describe, expect, it } from 'vitest';
import type { AuditResult } from '../src/result/result.js';
import { auditDemo, type DemoAuditOptions } from './helpers/audit-demo.js';

/** Endpoints × attacks, grouped so each attack meets a flaw it finds without running the whole demo. */
const GROUPS: readonly Omit<DemoAuditOptions, 'flaws' | 'seed' | 'keySalt'>[] = [
  {
    endpoints: ['ignore-key'],
    only: [
      'concurrent-burst',
      'cross-node-burst',
      'sequential-replay',
      'payload-mismatch',
      'equivalent-payload',
      'in-flight-duplicate',
      'client-timeout-retry',
      'connection-drop',
      'missing-key',
    ],
    nodes: 2,
  },
  {
    endpoints: [
      'replay-divergent',
      'dedupe-by-body',
      'byte-exact-fingerprint',
      'endpoint-blind',
      'no-principal-scope',
      'error-stored',
      'key-truncation',
      'case-fold',
    ],
    only: [
      'sequential-replay',
      'distinct-keys',
      'equivalent-payload',
      'cross-endpoint',
      'cross-principal',
      'rejected-then-valid',
      'key-format',
    ],
  },
  { endpoints: ['short-ttl', 'downstream-unkeyed-retry', 'error-cached'], only: ['ttl-probe', 'partial-failure'] },
];

/** Every attack with a flaw to find in the groups above: each must report, or the test covers less than it says. */
const FINDING_ATTACKS = [...new Set(GROUPS.flatMap((g) => g.only ?? []))].sort();

async function run(seed: number, keySalt: string): Promise<AuditResult['findings']> {
  const findings: AuditResult['findings'] = [];
  for (const g of GROUPS) findings.push(...(await auditDemo({ ...g, flaws: 'all', seed, keySalt })).findings);
  return findings;
}

/** `attack kind@endpoint` → the fingerprints found for it. */
function byIdentity(findings: AuditResult['findings']): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of findings) {
    const id = `${f.attack} ${f.kind}@${f.endpoint}`;
    out.set(id, [...new Set([...(out.get(id) ?? []), f.fingerprint])].sort());
  }
  return out;
}

describe('fingerprints', () => {
  it('are the same for the same flaws whatever the seed and key salt', async () => {
    const a = await run(1, 'salt-a');
    const b = await run(987_654_321, 'salt-b');
    for (const findings of [a, b]) expect([...new Set(findings.map((f) => f.attack))].sort()).toEqual(FINDING_ATTACKS);

    // Deterministic findings come back exactly; a timing-dependent one may be missing from a run,
    // but where both runs found it, it has the same fingerprint.
    const stable = (fs: AuditResult['findings']): string[] =>
      [...byIdentity(fs.filter((f) => !f.reproduce.timingDependent))]
        .map(([id, fps]) => `${id} ${fps.join(',')}`)
        .sort();
    expect(stable(b)).toEqual(stable(a));
    const ia = byIdentity(a);
    const ib = byIdentity(b);
    const shared = [...ia.keys()].filter((id) => ib.has(id));
    expect(shared.length).toBeGreaterThan(10);
    for (const id of shared) expect(ib.get(id), id).toEqual(ia.get(id));

    // What tells findings of one kind apart (a variant, a key pair, a fault) is in the fingerprint.
    const variants = ia.get('equivalent-payload duplicate-write@ignore-key') ?? [];
    expect(variants.length).toBe(
      a.filter((f) => f.attack === 'equivalent-payload' && f.endpoint === 'ignore-key').length,
    );
    expect(variants.length).toBeGreaterThan(1);
  }, 240_000);
});
