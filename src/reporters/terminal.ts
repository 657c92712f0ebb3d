/**
 * The terminal report, fitted to the width (the terminal's, else $COLUMNS, else 80; never under
 * 80): the endpoint × attack matrix with one mark per cell, why cells were skipped or not
 * audited, one short block per finding (what, where, one line of evidence, the command that
 * reproduces it; report.html has the rest), and the verdict. On an interactive terminal each
 * finding is printed as it is found, above the progress line, and the end adds the rest. Colour
 * only on a TTY and never with NO_COLOR; elsewhere the output is plain text for logs.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { AuditResult } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import type { Severity } from '../scenario/severity.js';
import { failsRun } from '../verdict/verdict.js';
import { latencyTable } from './latency-table.js';
import {
  MARK_LABEL,
  MARK_SYMBOL,
  bySeverity,
  cellCounts,
  markOf,
  matrixOf,
  plural,
  severityCounts,
  verdictOf,
  type CellMark,
  type VerdictState,
} from './overview.js';
import { baselineMarker, baselineNote, exportNote } from './finding-notes.js';
import { cut, foldCommand, oneLine, pad, plain, width, wrap } from './terminal-text.js';
import type { ReporterDefinition } from './types.js';

export const MIN_COLUMNS = 80;

/** Reasons listed under the matrix; the rest are counted and left to report.html. */
const MAX_REASONS = 8;

export interface TerminalOptions {
  color: boolean;
  /** Display columns to fit (at least MIN_COLUMNS are used). */
  columns: number;
  reportDir: string | undefined;
  exitCode: number;
  /** The finding blocks were printed live as they were found: the end does not repeat them. */
  findingsShown?: boolean;
}

function severityStyle(c: ChalkInstance, s: Severity): (t: string) => string {
  switch (s) {
    case 'critical':
      return (t) => c.red.bold(t);
    case 'high':
      return (t) => c.red(t);
    case 'medium':
      return (t) => c.yellow(t);
    case 'low':
      return (t) => c.cyan(t);
    case 'info':
      return (t) => c.gray(t);
  }
}

function markStyle(c: ChalkInstance, m: CellMark): (t: string) => string {
  switch (m) {
    case 'fails':
      return (t) => c.red.bold(t);
    case 'below':
      return (t) => c.yellow(t);
    case 'passed':
      return (t) => c.green(t);
    case 'not-audited':
      return (t) => c.magenta.bold(t);
    case 'skipped':
    case 'none':
      return (t) => c.gray(t);
  }
}

function verdictStyle(c: ChalkInstance, s: VerdictState): (t: string) => string {
  switch (s) {
    case 'failed':
      return (t) => c.red.bold(t);
    case 'passed':
      return (t) => c.green.bold(t);
    case 'not-audited':
      return (t) => c.magenta.bold(t);
    case 'interrupted':
      return (t) => c.yellow.bold(t);
  }
}

/**
 * One finding in four lines: what (severity, title), where (fingerprint, endpoint › attack,
 * kind), one line of evidence, and the command that reproduces it, folded to the width.
 * `failOn` undefined: printed during the run, before the threshold is known to the reporters, so
 * the block says what the finding is, not yet whether it fails the run. `exportsSaid`: the note on
 * the shell variables the curl lines read, already printed once; the block repeats only another.
 */
export function findingBlock(
  f: Finding,
  failOn: Severity | undefined,
  color: boolean,
  columns: number,
  exportsSaid?: string,
): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const w = Math.max(MIN_COLUMNS, columns);
  const mark = failOn === undefined ? undefined : failsRun(f, failOn) ? 'fails' : 'below';
  const why = f.baseline ? ` (${baselineMarker(f.baseline)})` : mark === 'below' ? ` (below ${failOn})` : '';
  const head = `${mark === undefined ? '•' : MARK_SYMBOL[mark]} ${f.severity.toUpperCase()}${why}`;
  let title = cut(oneLine(f.title), w - width(head) - 2);
  let where = cut(`  ${oneLine(f.fingerprint)}  ${oneLine(f.endpoint)} › ${oneLine(f.attack)} · ${oneLine(f.kind)}`, w);
  let evidence = cut(`  observed ${oneLine(f.observed)}; expected ${oneLine(f.expected)}`, w);
  const extra: string[] = [];
  if (f.baseline) extra.push(...wrap(`  ${oneLine(baselineNote(f.baseline))}`, w));
  const exports = exportNote(f.reproduce.env);
  if (exports !== undefined && exports !== exportsSaid) extra.push(...exportLines(exports, w));
  if (f.reproduce.timingDependent) {
    // Said where there is room: a replay of a race may pass although the flaw is real.
    const note = ' · timing-dependent';
    if (width(head) + 2 + width(title + note) <= w) title += note;
    else if (width(where + note) <= w) where += note;
    else if (width(evidence + note) <= w) evidence += note;
    else extra.push('  timing-dependent: one replay may pass although the flaw is real');
  }
  const command = plain(f.reproduce.command)
    .split('\n')
    .flatMap((line, i) => foldCommand(line, w - 4, 4).map((l, j) => (i === 0 && j === 0 ? `  $ ${l}` : `  ${l}`)));
  return [
    `${mark === undefined ? severityStyle(c, f.severity)(head) : markStyle(c, mark)(head)}  ${c.bold(title)}`,
    c.gray(where),
    evidence,
    ...extra.map((l) => c.gray(l)),
    ...command.map((l) => c.cyan(l)),
  ].join('\n');
}

function exportLines(note: string, w: number): string[] {
  return wrap(`  curl lines in report.json: ${note}`, w);
}

/** The export note most findings share (usually all: one scenario, one set of secret headers). */
function commonExportNote(findings: readonly Finding[]): string | undefined {
  const counts = new Map<string, number>();
  for (const f of findings) {
    const note = exportNote(f.reproduce.env);
    if (note !== undefined) counts.set(note, (counts.get(note) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** The matrix: a row per endpoint, a numbered column per attack, wrapped into blocks of columns when they do not fit. */
function matrixLines(result: AuditResult, c: ChalkInstance, w: number): string[] {
  const m = matrixOf(result);
  if (m.attacks.length === 0) return ['No attack ran.'];
  const cellW = String(m.attacks.length).length + 1;
  // Endpoint names up to 28 columns, then one space before the first mark.
  const labelW = Math.min(28, Math.max(8, ...m.endpoints.map((e) => width(oneLine(e))))) + 1;
  const perBlock = Math.max(1, Math.floor((w - labelW) / cellW));
  const out: string[] = [];
  const legend = (['fails', 'below', 'passed', 'skipped', 'not-audited'] as const).map(
    (k) => `${MARK_SYMBOL[k]} ${MARK_LABEL[k]}`,
  );
  out.push(...wrap(legend.join('   '), w, 2).map((l) => c.gray(l)));
  for (let start = 0; start < m.attacks.length; start += perBlock) {
    const block = m.attacks.slice(start, start + perBlock);
    out.push(
      pad('', labelW) +
        block
          .map((_, i) => c.bold(String(start + i + 1).padStart(cellW)))
          .join('')
          .replace(/\s+$/, ''),
    );
    for (const ep of m.endpoints) {
      const marks = block.map((a) => markOf(m.cell(ep, a.id), result));
      // Attacks the endpoint did not run at the end of the row leave no trailing blanks, in colour too.
      while (marks.at(-1) === 'none') marks.pop();
      const cells = marks.map((mark) => ' '.repeat(cellW - 1) + markStyle(c, mark)(MARK_SYMBOL[mark]));
      out.push(`${pad(cut(oneLine(ep), labelW - 1), labelW)}${cells.join('')}`.replace(/\s+$/, ''));
    }
  }
  // The attacks the numbers stand for, in as many columns as fit.
  const names = m.attacks.map((a, i) => `${String(i + 1).padStart(cellW - 1)} ${oneLine(a.id)}`);
  const nameW = Math.min(w, Math.max(...names.map(width)) + 2);
  const perLine = Math.max(1, Math.floor(w / nameW));
  const rows = Math.ceil(names.length / perLine);
  for (let r = 0; r < rows; r++) {
    const line: string[] = [];
    for (let col = 0; col < perLine; col++) {
      const name = names[col * rows + r];
      if (name !== undefined) line.push(pad(cut(name, nameW - 2), nameW));
    }
    out.push(c.gray(line.join('').replace(/\s+$/, '')));
  }
  return out;
}

/** Why cells were skipped or not audited: one entry per attack and reason, not-audited first. */
function reasonLines(result: AuditResult, c: ChalkInstance, w: number): string[] {
  const groups = new Map<string, { mark: CellMark; attack: string; reason: string; endpoints: number }>();
  for (const a of result.attacks) {
    const mark = markOf(a, result);
    if (mark !== 'skipped' && mark !== 'not-audited') continue;
    const reason = oneLine(a.reason ?? 'no reason given');
    const key = JSON.stringify([mark, a.attack, reason]);
    const g = groups.get(key) ?? { mark, attack: oneLine(a.attack), reason, endpoints: 0 };
    g.endpoints++;
    groups.set(key, g);
  }
  if (groups.size === 0) return [];
  const sorted = [...groups.values()].sort(
    (a, b) => Number(b.mark === 'not-audited') - Number(a.mark === 'not-audited') || b.endpoints - a.endpoints,
  );
  const out: string[] = [];
  for (const g of sorted.slice(0, MAX_REASONS)) {
    const status = g.mark === 'skipped' ? 'skipped' : 'not audited';
    const text = `${MARK_SYMBOL[g.mark]} ${g.attack} ${status} on ${plural(g.endpoints, 'endpoint')}: ${g.reason}`;
    const lines = wrap(text, w, 4);
    const shown = lines.length > 2 ? [lines[0] ?? '', cut(`${lines[1] ?? ''} …`, w)] : lines;
    out.push(...shown.map((l) => markStyle(c, g.mark)(l)));
  }
  if (sorted.length > MAX_REASONS)
    out.push(c.gray(`  and ${sorted.length - MAX_REASONS} more reasons (report.html lists every cell)`));
  return out;
}

export function renderTerminal(result: AuditResult, o: TerminalOptions): string {
  const c = new Chalk({ level: o.color ? 1 : 0 });
  const w = Math.max(MIN_COLUMNS, o.columns);
  const out: string[] = [];
  const fit = (text: string, indent = 0): string[] => wrap(text, w, indent);
  out.push(
    ...fit(
      `idem-audit · ${oneLine(result.scenario.name)} · ${oneLine(result.target.baseUrl)} · seed ${result.seed}${result.keySalt === undefined ? '' : `, key salt ${oneLine(result.keySalt)}`} · ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)}s`,
      2,
    ).map((l, i) => (i === 0 ? l.replace(/^idem-audit/, c.bold('idem-audit')) : l)),
  );

  out.push('', c.bold(`Endpoints × attacks (${result.attacks.length} cells)`), ...matrixLines(result, c, w));
  const reasons = reasonLines(result, c, w);
  if (reasons.length > 0) out.push('', ...reasons);

  for (const ep of new Set(result.attacks.map((a) => a.endpoint))) {
    const table = latencyTable(
      result.attacks.filter((a) => a.endpoint === ep),
      o.color,
    );
    if (table !== undefined) out.push('', c.bold(cut(`latency ${oneLine(ep)}`, w)), table);
  }

  const v = verdictOf(result, o.exitCode);
  if (result.findings.length > 0) {
    const below = v.belowFailOn > 0 ? `, ${v.belowFailOn} below it` : '';
    out.push('', c.bold(`Findings (${result.findings.length}): ${v.failing} at or above ${result.failOn}${below}`));
    if (o.findingsShown) out.push('  (each printed above as it was found; report.html has the evidence)');
    else {
      // Said once for all the findings that share it, not once per finding.
      const exports = commonExportNote(result.findings);
      if (exports !== undefined) out.push(...exportLines(exports, w).map((l) => c.gray(l)));
      // No blank line between blocks: each starts at the margin with its mark, the rest is indented.
      out.push('', ...bySeverity(result.findings).map((f) => findingBlock(f, result.failOn, o.color, w, exports)));
    }
  }

  const cells = cellCounts(result);
  const sev = severityCounts(result);
  out.push(
    '',
    ...fit(
      `Summary: ${plural(result.findings.length, 'finding')}${sev ? ` (${sev})` : ''} · ${result.attacks.length} cells: ${cells.passed} passed, ${cells.failed} failed, ${cells.skipped} skipped, ${cells.notAudited} not audited · run ${result.status}`,
      2,
    ),
  );
  for (const e of result.errors)
    out.push(...fit(`error ${oneLine(e.code)}: ${oneLine(e.message)}`, 2).map((l) => c.magenta(l)));
  if (o.reportDir) out.push(...fit(`Reports: ${o.reportDir} (open report.html for the evidence)`, 2));
  out.push(...fit(`${v.word} · ${v.exitMeaning}`, 2).map((l) => verdictStyle(c, v.state)(l)));
  return `${out.join('\n')}\n`;
}

/** Without a terminal to ask: $COLUMNS when it is a number, else 80. */
function columnsFromEnv(env: (name: string) => string | undefined): number {
  const fromEnv = Number.parseInt(env('COLUMNS') ?? '', 10);
  return Math.max(MIN_COLUMNS, Number.isFinite(fromEnv) ? fromEnv : MIN_COLUMNS);
}

export const terminalReporter: ReporterDefinition = {
  meta: {
    id: 'terminal',
    description:
      'The endpoint × attack matrix and a short block per finding with its reproduction, printed as found on a terminal (not with --quiet).',
    destination: 'stdout',
    selectable: true,
    byDefault: true,
  },
  enabled: (env) => !env.quiet,
  render: (result, ctx) =>
    renderTerminal(result, {
      color: ctx.color,
      columns: MIN_COLUMNS,
      reportDir: ctx.reportDir,
      exitCode: ctx.exitCode,
    }),
  create(ctx) {
    const live = ctx.live;
    let shown = 0;
    // The export note of the findings printed so far: the next one repeats it only if it differs.
    let exportsSaid: string | undefined;
    return {
      onFinding(f) {
        if (!live) return;
        live.print(`${shown === 0 ? '\n' : ''}${findingBlock(f, undefined, ctx.color, live.columns, exportsSaid)}\n`);
        exportsSaid = exportNote(f.reproduce.env) ?? exportsSaid;
        shown++;
      },
      onRunEnd(result, exitCode) {
        ctx.out.stdout(
          renderTerminal(result, {
            color: ctx.color,
            columns: live?.columns ?? columnsFromEnv((name) => ctx.out.env(name)),
            reportDir: ctx.reportDir,
            exitCode,
            findingsShown: shown > 0 && shown === result.findings.length,
          }),
        );
      },
    };
  },
};
