/**
 * GitHub Actions: an `::error` annotation per finding at or above failOn, so the failing check
 * says why without opening an artifact, and the markdown summary appended to the job's step
 * summary. Runs whenever GITHUB_ACTIONS=true, whatever --reporter chose.
 */
import { relative, resolve } from 'node:path';
import type { AuditResult } from '../result/result.js';
import { failsRun } from '../verdict/verdict.js';
import { renderMarkdown } from './markdown.js';
import type { ReporterDefinition } from './types.js';

/** GitHub's workflow-command escaping: data and property values differ. */
function ghData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function ghProperty(text: string): string {
  return ghData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** The annotations for `result`; the scenario file is named relative to `cwd`, as GitHub links it. */
export function githubAnnotations(result: AuditResult, cwd: string): string {
  const file = relative(cwd, resolve(cwd, result.scenario.file)) || result.scenario.file;
  return result.findings
    .filter((f) => failsRun(f, result.failOn))
    .map(
      (f) =>
        `::error file=${ghProperty(file)},title=${ghProperty(`idem-audit ${f.severity}: ${f.kind} on ${f.endpoint}`)}::${ghData(`${f.title}: ${f.message}\nreproduce: ${f.reproduce.command}`)}\n`,
    )
    .join('');
}

const STEP_SUMMARY = 'GITHUB_STEP_SUMMARY';

export const githubReporter: ReporterDefinition = {
  meta: {
    id: 'github',
    description: `GitHub Actions: ::error annotations for findings at or above --fail-on, the markdown summary appended to $${STEP_SUMMARY} (when GITHUB_ACTIONS=true).`,
    destination: 'stdout',
    selectable: false,
    byDefault: true,
  },
  enabled: (env) => env.env['GITHUB_ACTIONS'] === 'true',
  create(ctx) {
    return {
      async onRunEnd(result, exitCode) {
        const summary = ctx.out.env(STEP_SUMMARY);
        if (summary) {
          // The summary is a courtesy: a step that cannot append to it must still fail or pass on the audit.
          try {
            await ctx.out.appendToEnvFile(STEP_SUMMARY, renderMarkdown(result, exitCode));
          } catch (err) {
            ctx.out.stderr(`idem-audit: cannot write the step summary ${summary}: ${(err as Error).message}\n`);
          }
        }
        ctx.out.stdout(githubAnnotations(result, ctx.cwd));
      },
    };
  },
};
