/**
 * A GitHub-flavoured markdown summary for $GITHUB_STEP_SUMMARY or a merge-request comment:
 * the verdict, a table per endpoint × attack and each finding with its reproduction.
 */
import type { AuditResult } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import { SEVERITIES } from '../scenario/severity.js';
import { failingFindings } from '../verdict/verdict.js';
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

/** The curl lines themselves are in report.json; what they need to run is said here. */
function notes(f: Finding): string[] {
  const exports = exportNote(f.reproduce.env);
  return exports === undefined ? [] : ['', `curl lines (report.json): ${cell(exports)}`];
}

const ICON: Record<string, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  inconclusive: '⚠️ inconclusive',
  error: '⚠️ error',
};

export function renderMarkdown(result: AuditResult, exitCode: number): string {
  const failing = failingFindings(result);
  const verdict =
    exitCode === 1
      ? `❌ **${failing.length} finding(s) at or above ${result.failOn}**`
      : exitCode === 3
        ? '⚠️ **incomplete**: part of the audit could not be judged'
        : exitCode === 130
          ? '⚠️ **interrupted**'
          : '✅ **passed**';
  const out: string[] = [
    `## idem-audit · ${cell(result.scenario.name)}`,
    '',
    `${verdict} · target \`${flat(result.target.baseUrl).replace(/`/g, '')}\` · seed ${result.seed} · ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)} s`,
    '',
    `| ${SEVERITIES.slice().reverse().join(' | ')} |`,
    `|${SEVERITIES.map(() => '---').join('|')}|`,
    `| ${SEVERITIES.slice()
      .reverse()
      .map((s) => result.summary.findings[s])
      .join(' | ')} |`,
    '',
    '| endpoint | attack | result | findings | requests | note |',
    '|---|---|---|---|---|---|',
    ...result.attacks.map(
      (a) =>
        `| ${cell(a.endpoint)} | ${cell(a.attack)} | ${ICON[a.status] ?? a.status} | ${a.findings} | ${a.requests} | ${cell(a.reason ?? '')} |`,
    ),
  ];
  if (result.findings.length > 0) out.push('', '### Findings');
  for (const f of result.findings) {
    out.push(
      '',
      `<details><summary><b>${html(f.severity.toUpperCase())}</b> ${html(f.kind)} · ${html(f.endpoint)} › ${html(f.attack)} · ${html(f.fingerprint)}${f.baseline ? ` · <i>${html(baselineMarker(f.baseline))}</i>` : ''}</summary>`,
      '',
      `${cell(f.title)}: ${cell(f.message)}`,
      '',
      `- expected: ${cell(f.expected)}`,
      `- observed: ${cell(f.observed)}`,
      `- fix: ${cell(f.remediation)}`,
      ...(f.baseline ? [`- ${cell(baselineNote(f.baseline))}`] : []),
      '',
      code(f.reproduce.command),
      ...notes(f),
      '',
      '</details>',
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
