/**
 * `ctx.report(f)` → a Finding: the kind's metadata (severity, title, remediation, references),
 * the fingerprint, the evidence (the attack's exchanges plus the observers' own), and the
 * reproduction. Shared by the engine's attack context and the test kit's fake context.
 */
import type { AttackMeta, FindingReport } from '../attacks/types.js';
import { toCurlLines } from '../findings/curl.js';
import { fingerprintOf, type Finding, type FindingBaseline } from '../findings/finding.js';
import type { HeaderVariables } from '../findings/shell-variables.js';

export interface FindingOrigin {
  attack: Pick<AttackMeta<unknown>, 'id' | 'findings' | 'timingDependent'>;
  scenario: string;
  endpoint: string;
  seed: number;
  reproCommand: string;
  /**
   * Applied to what attacks and observers wrote (message, expected, observed, count details and
   * facts): exchanges were redacted when recorded, free text quoting them must be too.
   */
  redact?: (text: string) => string;
  /** The command that re-sends a finding's requests (bursts together), named in its curl reproduction. */
  replayCommand?: (fingerprint: string) => string;
  /** The shell variable each redacted header of a curl reproduction reads. */
  headerVariables?: HeaderVariables;
  /** The run's baseline: what it says of a fingerprint (verdict/baseline.ts). */
  baselineOf?: (fingerprint: string) => FindingBaseline | undefined;
}

/** Throws for a kind the attack's meta does not declare: that is a bug in the attack, not a finding. */
export function buildFinding(origin: FindingOrigin, f: FindingReport): Finding {
  const { attack, endpoint, scenario, seed } = origin;
  const kindMeta = attack.findings[f.kind];
  if (!kindMeta) throw new Error(`attack ${attack.id} reported undeclared finding kind '${f.kind}'`);
  const evidence = [...f.exchanges, ...(f.sideEffects?.counts.flatMap((c) => c.evidence) ?? [])];
  const red = origin.redact ?? ((t: string) => t);
  const fingerprint = fingerprintOf(scenario, endpoint, attack.id, f.kind, f.discriminator);
  const curl = toCurlLines(evidence, {
    ...(origin.headerVariables ? { variables: origin.headerVariables } : {}),
    ...(origin.replayCommand ? { replayCommand: origin.replayCommand(fingerprint) } : {}),
  });
  const baseline = origin.baselineOf?.(fingerprint);
  return {
    attack: attack.id,
    endpoint,
    kind: f.kind,
    severity: f.severity ?? kindMeta.severity,
    title: kindMeta.title,
    message: red(f.message),
    fingerprint,
    expected: red(f.expected),
    observed: red(f.observed),
    sideEffects: f.sideEffects && {
      ...f.sideEffects,
      counts: f.sideEffects.counts.map((c) => ({
        ...c,
        detail: red(c.detail),
        ...(c.facts ? { facts: redactStrings(c.facts, red) } : {}),
      })),
    },
    exchanges: evidence,
    remediation: kindMeta.remediation,
    references: kindMeta.references,
    reproduce: {
      seed,
      command: origin.reproCommand,
      curl: curl.lines,
      env: curl.env,
      timingDependent: attack.timingDependent,
    },
    ...(baseline ? { baseline } : {}),
  };
}

function redactStrings<T>(value: T, text: (s: string) => string): T {
  if (typeof value === 'string') return text(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactStrings(v, text)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v, text)])) as T;
}
