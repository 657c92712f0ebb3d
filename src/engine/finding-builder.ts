/**
 * `ctx.report(f)` → a Finding: the kind's metadata (severity, title, remediation, references),
 * the fingerprint, the evidence (the attack's exchanges plus the observers' own), and the
 * reproduction. Shared by the engine's attack context and the test kit's fake context.
 */
import type { AttackMeta, FindingReport } from '../attacks/types.js';
import { toCurlLines } from '../findings/curl.js';
import { fingerprintOf, type Finding } from '../findings/finding.js';

export interface FindingOrigin {
  attack: Pick<AttackMeta<unknown>, 'id' | 'findings' | 'timingDependent'>;
  scenario: string;
  endpoint: string;
  seed: number;
  reproCommand: string;
}

/** Throws for a kind the attack's meta does not declare: that is a bug in the attack, not a finding. */
export function buildFinding(origin: FindingOrigin, f: FindingReport): Finding {
  const { attack, endpoint, scenario, seed } = origin;
  const kindMeta = attack.findings[f.kind];
  if (!kindMeta) throw new Error(`attack ${attack.id} reported undeclared finding kind '${f.kind}'`);
  const evidence = [...f.exchanges, ...(f.sideEffects?.counts.flatMap((c) => c.evidence) ?? [])];
  return {
    attack: attack.id,
    endpoint,
    kind: f.kind,
    severity: f.severity ?? kindMeta.severity,
    title: kindMeta.title,
    message: f.message,
    fingerprint: fingerprintOf(scenario, endpoint, attack.id, f.kind, f.discriminator),
    expected: f.expected,
    observed: f.observed,
    sideEffects: f.sideEffects,
    exchanges: evidence,
    remediation: kindMeta.remediation,
    references: kindMeta.references,
    reproduce: {
      seed,
      command: origin.reproCommand,
      curl: toCurlLines(evidence),
      timingDependent: attack.timingDependent,
    },
  };
}
