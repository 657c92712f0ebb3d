/**
 * A GitHub-flavoured markdown summary for $GITHUB_STEP_SUMMARY or a merge-request comment:
 * the verdict, a table per endpoint × attack and each finding with its reproduction.
 */
import type { AuditResult } from '../engine/result.js';
import { SEVERITIES, atLeast } from '../findings/severity.js';
import type { Reporter } from './types.js';

/** Target text must not break the table or inject markdown links/HTML into the summary page. */
function cell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_{}[\]()<>#|!]/g, (ch) => `\\${ch}`)
    .slice(0, 300);
}

function code(text: string): string {
  const fence = text.includes('```') ? '````' : '```';
  return `${fence}sh\n${text}\n${fence}`;
}

const ICON: Record<string, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  inconclusive: '⚠️ inconclusive',
  error: '⚠️ error',
};

export function renderMarkdown(result: AuditResult, exitCode: number): string {
  const failing = result.findings.filter((f) => atLeast(f.severity, result.failOn));
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
    `${verdict} · target \`${result.target.baseUrl.replace(/`/g, '')}\` · seed ${result.seed} · ${result.requests} requests in ${(result.durationMs / 1000).toFixed(1)} s`,
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
      `<details><summary><b>${f.severity.toUpperCase()}</b> ${cell(f.kind)} · ${cell(f.endpoint)} › ${cell(f.attack)} · ${f.fingerprint}</summary>`,
      '',
      `${cell(f.title)}: ${cell(f.message)}`,
      '',
      `- expected: ${cell(f.expected)}`,
      `- observed: ${cell(f.observed)}`,
      `- fix: ${cell(f.remediation)}`,
      '',
      code(f.reproduce.command),
      '',
      '</details>',
    );
  }
  out.push('');
  return out.join('\n');
}

export const markdownReporter: Reporter = {
  meta: { id: 'markdown', description: 'Markdown summary (GitHub step summary).', destination: 'summary.md' },
  render(result, ctx) {
    return renderMarkdown(result, ctx.exitCode);
  },
};
