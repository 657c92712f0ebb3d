/**
 * A GitHub-flavoured markdown summary for $GITHUB_STEP_SUMMARY or a merge-request comment, in
 * the order a reviewer reads it: the verdict and what the exit code means, the findings that
 * fail the run, what could not be audited, the findings below fail-on (reported, not failing),
 * then, folded away, every cell of the matrix and each finding with its reproduction.
 */
import type { AuditResult } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import { SEVERITIES, type Severity } from '../scenario/severity.js';
import { failsRun } from '../verdict/verdict.js';
import {
  MARK_LABEL,
  bySeverity,
  cellCounts,
  markOf,
  matrixOf,
  plural,
  verdictOf,
  type CellMark,
  type VerdictState,
} from './overview.js';
import { baselineMarker, baselineNote, exportNote } from './finding-notes.js';
import { resultReporter } from './result-reporter.js';

/** Target text must not break the table or inject markdown links/HTML into the summary page. */
function flat(text: string): string {
  // One line, cut before escaping so the cut can never leave half an escape behind.
  return (
    [...text.replace(/[\r\n\u2028\u2029]+/g, ' ')]
      .slice(0, 300)
      .join('')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, ' ')
  );
}

function cell(text: string): string {
  return flat(text).replace(/[\\`*_{}[\]()<>#|!~&]/g, (ch) => `\\${ch}`);
}

/**
 * Text inside the raw `<details><summary>` line: GitHub reads that line as an HTML block, where
 * markdown escapes do not apply (`\<img …\>` would still be a tag), so it gets HTML escaping.
 */
function html(text: string): string {
  return flat(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A fence longer than any run of backticks in the text, so nothing inside can close it. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}sh\n${text}\n${fence}`;
}

const MARK: Readonly<Record<CellMark, string>> = {
  fails: '❌',
  below: '🔸',
  passed: '✅',
  skipped: '⏭️',
  'not-audited': '⚠️',
  none: ' ',
};

const VERDICT_ICON: Readonly<Record<VerdictState, string>> = {
  failed: '❌',
  passed: '✅',
  'not-audited': '⚠️',
  interrupted: '⚠️',
};

/**
 * The summary stays well under GitHub's step-summary limit (1 MiB) and readable in a pull
 * request: tables are capped, and finding details stop when the text reaches this many bytes.
 */
export const SUMMARY_BUDGET = 60_000;
const MAX_TABLE_ROWS = 100;

function findingTable(findings: readonly Finding[]): string[] {
  const rows = findings
    .slice(0, MAX_TABLE_ROWS)
    .map(
      (f) =>
        `| ${f.severity.toUpperCase()} | ${cell(f.endpoint)} › ${cell(f.attack)} | ${cell(f.title)} | \`${flat(f.fingerprint).replace(/`/g, '')}\` |`,
    );
  const more = findings.length - rows.length;
  return [
    '| severity | endpoint › attack | finding | fingerprint |',
    '|---|---|---|---|',
    ...rows,
    ...(more > 0 ? ['', `…and ${more} more (report.json lists them all).`] : []),
  ];
}

/** Every cell as a grid, endpoints down and attacks across: the part that passed, folded away. */
function matrixGrid(result: AuditResult): string[] {
  const m = matrixOf(result);
  if (m.attacks.length === 0) return ['No attack ran.'];
  const legend = (['fails', 'below', 'passed', 'skipped', 'not-audited'] as const)
    .map((k) => `${MARK[k]} ${MARK_LABEL[k]}`)
    .join(' · ');
  return [
    legend,
    '',
    `| endpoint | ${m.attacks.map((a) => cell(a.id)).join(' | ')} |`,
    `|---|${m.attacks.map(() => ':-:').join('|')}|`,
    ...m.endpoints.map(
      (ep) => `| ${cell(ep)} | ${m.attacks.map((a) => MARK[markOf(m.cell(ep, a.id), result)]).join(' | ')} |`,
    ),
  ];
}

/** Cells skipped or not audited, one line per attack and reason. */
function reasons(result: AuditResult, marks: readonly CellMark[]): string[] {
  const groups = new Map<string, { attack: string; reason: string; endpoints: string[] }>();
  for (const a of result.attacks) {
    if (!marks.includes(markOf(a, result))) continue;
    const reason = a.reason ?? 'no reason given';
    const key = JSON.stringify([a.attack, reason]);
    const g = groups.get(key) ?? { attack: a.attack, reason, endpoints: [] };
    g.endpoints.push(a.endpoint);
    groups.set(key, g);
  }
  return [...groups.values()]
    .slice(0, MAX_TABLE_ROWS)
    .map(
      (g) =>
        `- ${cell(g.attack)} on ${g.endpoints.length === 1 ? cell(g.endpoints[0] ?? '') : `${g.endpoints.length} endpoints`}: ${cell(g.reason)}`,
    );
}

function findingDetails(f: Finding, failOn: Severity): string[] {
  const why = f.baseline
    ? ` (${html(baselineMarker(f.baseline))})`
    : failsRun(f, failOn)
      ? ''
      : ` (below ${html(failOn)}: does not fail the run)`;
  const exports = exportNote(f.reproduce.env);
  return [
    `<details><summary><b>${html(f.severity.toUpperCase())}</b>${why} ${html(f.title)} · ${html(f.endpoint)} › ${html(f.attack)} · ${html(f.fingerprint)}</summary>`,
    '',
    `${cell(f.kind)}: ${cell(f.message)}`,
    '',
    `- expected: ${cell(f.expected)}`,
    `- observed: ${cell(f.observed)}`,
    `- fix: ${cell(f.remediation)}`,
    ...(f.baseline ? [`- ${cell(baselineNote(f.baseline))}`] : []),
    '',
    code(f.reproduce.command),
    ...(exports === undefined ? [] : ['', `curl lines (report.json): ${cell(exports)}`]),
    '',
    '</details>',
  ];
}

const bytes = (lines: readonly string[]): number => Buffer.byteLength(lines.join('\n'), 'utf8');

export function renderMarkdown(result: AuditResult, exitCode: number): string {
  const v = verdictOf(result, exitCode);
  const failing = bySeverity(result.findings.filter((f) => failsRun(f, result.failOn)));
  const notFailing = result.findings.filter((f) => !failsRun(f, result.failOn));
  const accepted = bySeverity(notFailing.filter((f) => f.baseline !== undefined));
  const below = bySeverity(notFailing.filter((f) => f.baseline === undefined));
  const cells = cellCounts(result);
  const out: string[] = [
    `## idem-audit · ${cell(result.scenario.name)}`,
    '',
    `${VERDICT_ICON[v.state]} **${v.word}** · ${cell(v.exitMeaning)}`,
    '',
    `target \`${flat(result.target.baseUrl).replace(/`/g, '')}\` · seed ${result.seed} · ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)} s · run ${cell(result.status)}`,
    '',
    `| ${SEVERITIES.slice().reverse().join(' | ')} |`,
    `|${SEVERITIES.map(() => '---').join('|')}|`,
    `| ${SEVERITIES.slice()
      .reverse()
      .map((s) => result.summary.findings[s])
      .join(' | ')} |`,
    '',
    `${plural(result.attacks.length, 'cell')}: ${MARK.passed} ${cells.passed} passed · ${MARK.fails} ${cells.failed} failed · ${MARK.skipped} ${cells.skipped} skipped · ${MARK['not-audited']} ${cells.notAudited} not audited`,
  ];
  if (failing.length > 0)
    out.push(
      '',
      `### ${MARK.fails} Failing: ${plural(failing.length, 'finding')} at or above ${result.failOn}`,
      '',
      ...findingTable(failing),
    );
  const notAudited = reasons(result, ['not-audited']);
  if (notAudited.length > 0)
    out.push('', `### ${MARK['not-audited']} Not audited: ${plural(cells.notAudited, 'cell')}`, '', ...notAudited);
  if (result.errors.length > 0)
    out.push(
      '',
      '### Errors',
      '',
      ...result.errors.map((e) => `- \`${flat(e.code).replace(/`/g, '')}\` ${cell(e.message)}`),
    );
  if (below.length > 0)
    out.push(
      '',
      `### ${MARK.below} Below fail-on: ${plural(below.length, 'finding')} under ${result.failOn} (reported, not failing)`,
      '',
      ...findingTable(below),
    );
  if (accepted.length > 0)
    out.push(
      '',
      `### ${MARK.below} In the baseline: ${plural(accepted.length, 'finding')} (reported, not failing)`,
      '',
      ...findingTable(accepted),
    );
  const skipped = reasons(result, ['skipped']);
  out.push(
    '',
    `<details><summary>All ${plural(result.attacks.length, 'cell')}: ${cells.passed} passed, ${cells.failed} failed, ${cells.skipped} skipped, ${cells.notAudited} not audited</summary>`,
    '',
    ...matrixGrid(result),
    ...(skipped.length > 0 ? ['', `Skipped (not applicable):`, '', ...skipped] : []),
    '',
    '</details>',
  );
  if (result.findings.length > 0) {
    out.push('', '### Findings');
    const ordered = [...failing, ...below, ...accepted];
    let shown = 0;
    for (const f of ordered) {
      const block = ['', ...findingDetails(f, result.failOn)];
      if (bytes(out) + bytes(block) > SUMMARY_BUDGET - 200) break;
      out.push(...block);
      shown++;
    }
    if (shown < ordered.length)
      out.push(
        '',
        `…and ${ordered.length - shown} more findings, left out to keep this summary short: see report.html.`,
      );
  }
  out.push('');
  return out.join('\n');
}

export const markdownReporter = resultReporter(
  {
    id: 'markdown',
    description: 'Markdown summary (the same text goes to the GitHub step summary).',
    destination: 'summary.md',
    selectable: true,
    byDefault: true,
  },
  (result, ctx) => renderMarkdown(result, ctx.exitCode),
);
