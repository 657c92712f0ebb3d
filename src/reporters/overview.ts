/**
 * What every human-facing report leads with, worked out once so the terminal, report.html and
 * summary.md say the same: the verdict the exit code stands for, and the endpoint × attack
 * matrix with one mark per cell. The rules behind them (which findings fail the run, what counts
 * as not audited) are the verdict module's; this only names and groups what it decides.
 */
import type { AttackResult, AuditResult } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import { SEVERITIES } from '../scenario/severity.js';
import { EXIT } from '../verdict/exit-codes.js';
import { cellFails, failingFindings, notAudited } from '../verdict/verdict.js';

export type VerdictState = 'failed' | 'passed' | 'not-audited' | 'interrupted';

export interface Verdict {
  state: VerdictState;
  /** One word for the banner: FAILED, PASSED, NOT AUDITED, INTERRUPTED. */
  word: string;
  /** What the exit code means for this run, in a sentence that starts with it. */
  exitMeaning: string;
  /** Findings at or above fail-on (the ones that fail the run). */
  failing: number;
  /** Findings below fail-on: reported, but they do not fail the run. */
  belowFailOn: number;
  /** Findings the baseline accepts: reported, but they do not fail the run. */
  inBaseline: number;
  /** Cells that could not be judged (inconclusive or error). */
  notAudited: number;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function verdictOf(result: AuditResult, exitCode: number): Verdict {
  const failing = failingFindings(result).length;
  const inBaseline = result.findings.filter((f) => f.baseline !== undefined && !f.baseline.expired).length;
  const belowFailOn = result.findings.length - failing - inBaseline;
  const cellsNotAudited = result.attacks.filter((a) => notAudited(a.status)).length;
  const base = { failing, belowFailOn, inBaseline, notAudited: cellsNotAudited };
  const notFailing = [
    ...(belowFailOn > 0 ? [`${plural(belowFailOn, 'finding')} below it`] : []),
    ...(inBaseline > 0 ? [`${plural(inBaseline, 'finding')} in the baseline`] : []),
  ];
  switch (exitCode) {
    case EXIT.findings:
      return {
        ...base,
        state: 'failed',
        word: 'FAILED',
        exitMeaning: `exit 1: ${plural(failing, 'finding')} at or above ${result.failOn} fail the run${cellsNotAudited > 0 ? `; ${plural(cellsNotAudited, 'cell')} could not be audited` : ''}`,
      };
    case EXIT.notAudited:
      return {
        ...base,
        state: 'not-audited',
        word: 'NOT AUDITED',
        exitMeaning: `exit 3: part of the audit could not be carried out (${plural(cellsNotAudited, 'cell')} not audited${result.errors.length > 0 ? `, ${plural(result.errors.length, 'error')}` : ''}), so a pass cannot be claimed`,
      };
    case EXIT.interrupted:
      return {
        ...base,
        state: 'interrupted',
        word: 'INTERRUPTED',
        exitMeaning: 'exit 130: interrupted; the report covers only what ran',
      };
    case EXIT.clean:
      return {
        ...base,
        state: 'passed',
        word: 'PASSED',
        exitMeaning: `exit 0: no finding at or above ${result.failOn}${inBaseline > 0 ? ' outside the baseline' : ''}${notFailing.length > 0 ? ` (${notFailing.join(', ')})` : ''}`,
      };
    default:
      return { ...base, state: 'not-audited', word: 'NOT AUDITED', exitMeaning: `exit ${exitCode}` };
  }
}

/** How one cell of the matrix reads. `finding` fails the run; `below` has findings under fail-on only. */
export type CellMark = 'fails' | 'below' | 'passed' | 'skipped' | 'not-audited' | 'none';

export const MARK_SYMBOL: Readonly<Record<CellMark, string>> = {
  fails: '✗',
  below: '~',
  passed: '✓',
  skipped: '·',
  'not-audited': '?',
  none: ' ',
};

export const MARK_LABEL: Readonly<Record<CellMark, string>> = {
  fails: 'fails the run',
  below: 'finding, not failing',
  passed: 'passed',
  skipped: 'skipped',
  'not-audited': 'not audited',
  none: 'not run',
};

export function markOf(cell: AttackResult | undefined, result: AuditResult): CellMark {
  if (cell === undefined) return 'none';
  if (cell.status === 'failed') return cellFails(cell, result) ? 'fails' : 'below';
  if (notAudited(cell.status)) return 'not-audited';
  return cell.status === 'passed' ? 'passed' : 'skipped';
}

export interface Matrix {
  /** In the order the run planned them. */
  endpoints: string[];
  attacks: { id: string; title: string }[];
  cell(endpoint: string, attack: string): AttackResult | undefined;
}

export function matrixOf(result: AuditResult): Matrix {
  const cells = new Map<string, AttackResult>();
  const key = (endpoint: string, attack: string): string => JSON.stringify([endpoint, attack]);
  const attacks = new Map<string, string>();
  for (const a of result.attacks) {
    cells.set(key(a.endpoint, a.attack), a);
    if (!attacks.has(a.attack)) attacks.set(a.attack, a.title);
  }
  return {
    endpoints: [...new Set(result.attacks.map((a) => a.endpoint))],
    attacks: [...attacks].map(([id, title]) => ({ id, title })),
    cell: (endpoint, attack) => cells.get(key(endpoint, attack)),
  };
}

/** Most severe first; among equals, the order the run found them. */
export function bySeverity<F extends Pick<Finding, 'severity'>>(findings: readonly F[]): F[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => SEVERITIES.indexOf(b.f.severity) - SEVERITIES.indexOf(a.f.severity) || a.i - b.i)
    .map(({ f }) => f);
}

/** Cells counted by how they read, for the one-line summaries. */
export function cellCounts(result: AuditResult): Record<'passed' | 'failed' | 'skipped' | 'notAudited', number> {
  const s = result.summary.attacks;
  return { passed: s.passed, failed: s.failed, skipped: s.skipped, notAudited: s.inconclusive + s.error };
}

/** "23 critical, 13 high, …", most severe first; empty when there is no finding. */
export function severityCounts(result: AuditResult): string {
  return SEVERITIES.filter((s) => result.summary.findings[s] > 0)
    .reverse()
    .map((s) => `${result.summary.findings[s]} ${s}`)
    .join(', ');
}
