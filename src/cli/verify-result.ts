/**
 * `idem-audit verify` on the report side: which cells of a report have checks pending, and the
 * report updated with what a verify run of those cells found. The updated report is the whole
 * audit (every cell, every finding, old and new) judged again by the rules of verdict/, so its
 * exit code is the one `run` would give for all that is known now.
 */
import { isPendingCheck, type PendingCheck } from '../findings/pending-check.js';
import { burstStatsBySync } from '../http/sync/stats.js';
import type { AttackResult, AuditResult, RunError } from '../result/result.js';
import { nothingAuditedReason, runStatusOf, summarize, type RunStop } from '../verdict/verdict.js';

export interface PendingCell {
  endpoint: string;
  attack: string;
  checks: PendingCheck[];
  /** Entries of the report's `pending` list that are not checks (a hand-edited or foreign file). */
  malformed: number;
}

const cellOf = (a: Pick<AttackResult, 'endpoint' | 'attack'>): string => `${a.endpoint}\u0000${a.attack}`;

/** The report's cells with checks pending, in report order. */
export function pendingCells(report: AuditResult): PendingCell[] {
  const out: PendingCell[] = [];
  for (const a of report.attacks) {
    const raw: unknown = a.pending;
    if (!Array.isArray(raw) || raw.length === 0) continue;
    const checks = raw.filter(isPendingCheck);
    out.push({ endpoint: a.endpoint, attack: a.attack, checks, malformed: raw.length - checks.length });
  }
  return out;
}

/**
 * `original` with the cells `verified` ran replaced by what they found. A cell whose attack ran
 * under verify carries its remaining checks (`pending`, empty when none is left); a cell that did
 * not run (the target was unreachable, the run stopped first) keeps the checks it had, so nothing
 * pending is ever lost to a failed verify.
 */
export function applyVerification(original: AuditResult, verified: AuditResult): AuditResult {
  const at = verified.startedAt;
  const byCell = new Map(verified.attacks.map((a) => [cellOf(a), a]));
  const attacks = original.attacks.map((a): AttackResult => {
    const v = byCell.get(cellOf(a));
    if (!v) return a;
    const findings = a.findings + v.findings;
    const merged: AttackResult = {
      ...a,
      status: findings > 0 ? 'failed' : v.status,
      notes: [...a.notes, ...v.notes.map((n) => `verify ${at}: ${n}`)],
      requests: a.requests + v.requests,
      durationMs: a.durationMs + v.durationMs,
      findings,
      bursts: [...a.bursts, ...v.bursts],
    };
    if (v.reason === undefined) delete merged.reason;
    else merged.reason = v.reason;
    if (v.metrics) merged.metrics = { ...a.metrics, ...v.metrics };
    if (v.pending !== undefined) {
      if (v.pending.length > 0) merged.pending = v.pending;
      else delete merged.pending;
    }
    return merged;
  });
  const findings = [...original.findings, ...verified.findings];
  const errors: RunError[] = [
    ...original.errors.filter((e) => e.code !== 'IDEM_NOTHING_AUDITED'),
    ...verified.errors
      .filter((e) => e.code !== 'IDEM_NOTHING_AUDITED')
      .map((e) => ({ ...e, message: `verify ${at}: ${e.message}` })),
  ];
  // Judged again over the whole: a run the user stopped, or anything that cut one short, leaves gaps.
  const stop: RunStop =
    verified.status === 'interrupted'
      ? 'interrupt'
      : errors.length > 0 || original.status === 'interrupted'
        ? 'cut-short'
        : undefined;
  const nothing = stop === undefined ? nothingAuditedReason(attacks) : undefined;
  if (nothing !== undefined) errors.push({ code: 'IDEM_NOTHING_AUDITED', message: nothing });
  const bursts = attacks.flatMap((a) => a.bursts);
  const { burstStats: _stats, ...rest } = original;
  return {
    ...rest,
    ...(bursts.length > 0 ? { burstStats: burstStatsBySync(bursts) } : {}),
    status: runStatusOf(attacks, stop),
    finishedAt: verified.finishedAt,
    durationMs: original.durationMs + verified.durationMs,
    requests: original.requests + verified.requests,
    summary: summarize(attacks, findings),
    attacks,
    findings,
    errors,
    verifications: [...(original.verifications ?? []), { at, requests: verified.requests, status: verified.status }],
  };
}
