/**
 * The terminal report: a table per endpoint, then every finding with its evidence and the
 * command that reproduces it. Colour only on a TTY and never with NO_COLOR.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { AttackStatus, AuditResult } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import { SEVERITIES, type Severity } from '../scenario/severity.js';
import { resultReporter } from './result-reporter.js';
import { latencyTable } from './latency-table.js';
import { inBaseline } from '../verdict/baseline.js';
import { baselineMarker, baselineNote, exportNote } from './finding-notes.js';

/**
 * Text that may come from the target (messages, notes, curl lines with bodies) must not drive the
 * terminal: an ESC or CSI sequence could recolour, clear or rewrite what the user reads.
 */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}

function severityStyle(c: ChalkInstance, s: Severity): (t: string) => string {
  switch (s) {
    case 'critical':
      return (t) => c.bgRed.white.bold(t);
    case 'high':
      return (t) => c.red.bold(t);
    case 'medium':
      return (t) => c.yellow(t);
    case 'low':
      return (t) => c.cyan(t);
    case 'info':
      return (t) => c.gray(t);
  }
}

function statusStyle(c: ChalkInstance, s: AttackStatus): string {
  switch (s) {
    case 'passed':
      return c.green('passed');
    case 'failed':
      return c.red.bold('FAILED');
    case 'skipped':
      return c.gray('skipped');
    case 'inconclusive':
      return c.yellow('inconclusive');
    case 'error':
      return c.magenta('error');
  }
}

function findingBlock(c: ChalkInstance, f: Finding): string {
  const lines = [
    `${severityStyle(c, f.severity)(` ${f.severity.toUpperCase()} `)} ${c.bold(plain(f.kind))}  ${plain(f.endpoint)} › ${plain(f.attack)}  ${c.gray(plain(f.fingerprint))}${f.baseline ? `  ${(f.baseline.expired ? c.red : c.gray)(`[${baselineMarker(f.baseline)}]`)}` : ''}`,
    `  ${plain(f.title)}: ${plain(f.message)}`,
    `  expected: ${plain(f.expected)}   observed: ${plain(f.observed)}`,
  ];
  if (f.sideEffects)
    for (const cnt of f.sideEffects.counts)
      lines.push(c.gray(`  side effects [${plain(cnt.observer)}]: ${plain(cnt.detail)}`));
  lines.push(`  fix: ${plain(f.remediation)}`);
  if (f.baseline) lines.push(`  ${plain(baselineNote(f.baseline))}`);
  lines.push(
    `  reproduce: ${c.cyan(plain(f.reproduce.command))}${f.reproduce.timingDependent ? c.gray('  (timing-dependent: one run may pass although the flaw is real)') : ''}`,
  );
  const [curl, ...more] = f.reproduce.curl;
  if (curl !== undefined) {
    const shown = plain(curl.length > 300 ? `${curl.slice(0, 300)}…` : curl);
    lines.push(c.gray(`  curl: ${shown}${more.length > 0 ? ` (+${more.length} more in report.json)` : ''}`));
    const exports = exportNote(f.reproduce.env);
    if (exports !== undefined) lines.push(c.gray(`  ${plain(exports)}`));
  }
  return lines.join('\n');
}

export function renderTerminal(
  result: AuditResult,
  color: boolean,
  reportDir: string | undefined,
  exitCode: number,
): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const out: string[] = [];
  out.push(
    `${c.bold('idem-audit')} · ${plain(result.scenario.name)} · ${plain(result.target.baseUrl)} · seed ${result.seed}${result.keySalt === undefined ? '' : `, key salt ${plain(result.keySalt)}`} · ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)}s`,
  );
  const endpoints = [...new Set(result.attacks.map((a) => a.endpoint))];
  for (const ep of endpoints) {
    const table = new Table({
      head: ['attack', 'result', 'findings', 'requests', 'time', 'note'],
      style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] },
      wordWrap: true,
      colWidths: [22, 14, 10, 10, 8, 52],
    });
    for (const a of result.attacks.filter((x) => x.endpoint === ep)) {
      const note = plain([a.reason, ...a.notes].filter((x) => x !== undefined).join('; '));
      table.push([
        plain(a.attack),
        statusStyle(c, a.status),
        String(a.findings),
        String(a.requests),
        `${a.durationMs}ms`,
        note,
      ]);
    }
    out.push('', c.bold(`endpoint ${plain(ep)}`), table.toString());
    const latency = latencyTable(
      result.attacks.filter((x) => x.endpoint === ep),
      color,
    );
    if (latency !== undefined) out.push(latency);
  }
  if (result.findings.length > 0) {
    out.push('', c.bold(`FINDINGS (${result.findings.length})`));
    const sorted = [...result.findings].sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity));
    for (const f of sorted) out.push('', findingBlock(c, f));
  }
  const sev = SEVERITIES.filter((s) => result.summary.findings[s] > 0)
    .reverse()
    .map((s) => `${result.summary.findings[s]} ${s}`)
    .join(', ');
  const at = result.summary.attacks;
  const known = result.findings.filter(inBaseline).length;
  out.push(
    '',
    `${c.bold('Summary:')} ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}${sev ? ` (${sev})` : ''}${known > 0 ? `, ${known} in the baseline` : ''} · ${result.attacks.length} attacks: ${at.passed} passed, ${at.failed} failed, ${at.skipped} skipped, ${at.inconclusive + at.error} not audited · status ${result.status}`,
  );
  for (const e of result.errors) out.push(c.magenta(`error ${plain(e.code)}: ${plain(e.message)}`));
  if (reportDir) out.push(`Reports: ${reportDir}`);
  out.push(exitLine(c, result, exitCode));
  return `${out.join('\n')}\n`;
}

function exitLine(c: ChalkInstance, result: AuditResult, code: number): string {
  switch (code) {
    case 0:
      return c.green(`exit 0: no finding at or above ${result.failOn}`);
    case 1:
      return c.red(`exit 1: findings at or above ${result.failOn}`);
    case 3:
      return c.magenta('exit 3: part of the audit could not be carried out (see "not audited" above)');
    case 130:
      return c.yellow('exit 130: interrupted; the report is partial');
    default:
      return `exit ${code}`;
  }
}

export const terminalReporter = resultReporter(
  {
    id: 'terminal',
    description: 'Tables per endpoint and every finding with its reproduction (not with --quiet).',
    destination: 'stdout',
    selectable: true,
    byDefault: true,
  },
  (result, ctx) => renderTerminal(result, ctx.color, ctx.reportDir, ctx.exitCode),
  (env) => !env.quiet,
);
