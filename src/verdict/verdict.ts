/**
 * What a run concluded, decided in one place: which findings fail the run, each attack's status,
 * the run's status and its summary. The engine, merge, replay, the API and every reporter ask
 * here, so the JUnit file, the step summary and the exit code cannot disagree.
 */
import type { AttackResult, AttackStatus, AuditResult, RunStatus } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import { SEVERITIES, atLeast, type Severity } from '../scenario/severity.js';
import { inBaseline } from './baseline.js';

export const ATTACK_STATUSES: readonly AttackStatus[] = ['passed', 'failed', 'skipped', 'inconclusive', 'error'];

/** What the verdict reads of a finding. */
export type JudgedFinding = Pick<Finding, 'severity' | 'baseline'>;

/**
 * A finding fails the run (exit 1, a red CI check) when it is at or above fail-on and no
 * unexpired baseline entry accepts it.
 */
export function failsRun(finding: JudgedFinding, failOn: Severity): boolean {
  return atLeast(finding.severity, failOn) && !inBaseline(finding);
}

export function failingFindings<F extends JudgedFinding>(result: { findings: readonly F[]; failOn: Severity }): F[] {
  return result.findings.filter((f) => failsRun(f, result.failOn));
}

/** How an attack ended, as the engine saw it. */
export type AttackEnd = 'ran' | 'skipped' | 'inconclusive' | 'error' | 'interrupted';

/** Any finding makes the attack `failed` (whatever fail-on says); otherwise how it ended decides. */
export function attackStatusOf(end: AttackEnd, findings: number): AttackStatus {
  if (findings > 0) return 'failed';
  switch (end) {
    case 'ran':
      return 'passed';
    case 'skipped':
      return 'skipped';
    case 'error':
      return 'error';
    case 'inconclusive':
    case 'interrupted':
      return 'inconclusive';
  }
}

/** Could not be judged: counts toward "not audited" (exit 3). */
export function notAudited(status: AttackStatus): boolean {
  return status === 'inconclusive' || status === 'error';
}

/** Judged: the attack passed or found something. */
export function audited(status: AttackStatus): boolean {
  return status === 'passed' || status === 'failed';
}

/** A cell of the endpoint × attack matrix fails CI exactly when one of its findings fails the run. */
export function cellFails(
  cell: Pick<AttackResult, 'attack' | 'endpoint'>,
  result: { findings: readonly (JudgedFinding & Pick<Finding, 'attack' | 'endpoint'>)[]; failOn: Severity },
): boolean {
  return result.findings.some(
    (f) => f.attack === cell.attack && f.endpoint === cell.endpoint && failsRun(f, result.failOn),
  );
}

/**
 * Why nothing was audited, or undefined when at least one attack judged something. A run whose
 * every attack skipped or could not judge proves nothing: it must not look green.
 */
export function nothingAuditedReason(
  attacks: readonly Pick<AttackResult, 'status' | 'attack' | 'endpoint' | 'reason'>[],
): string | undefined {
  if (attacks.some((a) => audited(a.status))) return undefined;
  if (attacks.length === 0) return 'no endpoint × attack was selected, so nothing was audited';
  const reasons = [
    ...new Set(attacks.map((a) => `${a.attack} on ${a.endpoint}: ${a.status}${a.reason ? ` (${a.reason})` : ''}`)),
  ];
  const shown = reasons.slice(0, 5);
  return `none of the ${attacks.length} selected attack${attacks.length === 1 ? '' : 's'} could judge anything: ${shown.join('; ')}${reasons.length > shown.length ? `; and ${reasons.length - shown.length} more` : ''}`;
}

/**
 * What ended a run before its plan was through: the user (Ctrl-C), or anything else that cut it
 * short (deadline, request budget, unreachable target, a shard that was); undefined: it ran through.
 */
export type RunStop = 'interrupt' | 'cut-short' | undefined;

/** `interrupted` only for the user's stop; anything else that kept the audit from covering its plan is `incomplete`. */
export function runStatusOf(attacks: readonly Pick<AttackResult, 'status'>[], stop: RunStop): RunStatus {
  if (stop === 'interrupt') return 'interrupted';
  if (stop !== undefined) return 'incomplete';
  if (attacks.length === 0 || attacks.some((a) => notAudited(a.status)) || !attacks.some((a) => audited(a.status)))
    return 'incomplete';
  return 'completed';
}

export function summarize(
  attacks: readonly Pick<AttackResult, 'status'>[],
  findings: readonly Pick<Finding, 'severity'>[],
): AuditResult['summary'] {
  return {
    findings: Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<
      Severity,
      number
    >,
    attacks: Object.fromEntries(
      ATTACK_STATUSES.map((s) => [s, attacks.filter((a) => a.status === s).length]),
    ) as Record<AttackStatus, number>,
  };
}
