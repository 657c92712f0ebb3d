import { describe, expect, it } from 'vitest';
import type { AuditResult } from '../result/result.js';
import { hostileResult } from './__fixtures__/hostile-result.js';
import { memoryContext, memoryOutput, type MemoryOutputOptions } from './__fixtures__/memory-output.js';
import { githubAnnotations, githubReporter } from './github.js';
import { renderMarkdown } from './markdown.js';
import { runReporters } from './run-reporters.js';
import type { ReporterEnvironment } from './types.js';

async function report(result: AuditResult, exitCode: number, o: MemoryOutputOptions = {}) {
  const out = memoryOutput(o);
  const run = runReporters([githubReporter], memoryContext(out));
  await run.end(result, exitCode);
  return out;
}

const annotated = (stdout: string): string[] =>
  [...stdout.matchAll(/^::error .*title=idem-audit (\w+)%3A/gm)].map((m) => m[1] ?? '');

describe('github reporter', () => {
  it('runs only inside GitHub Actions', () => {
    const env = (vars: Record<string, string>): ReporterEnvironment => ({
      env: vars,
      quiet: true,
      interactive: false,
      live: true,
    });
    expect(githubReporter.enabled?.(env({ GITHUB_ACTIONS: 'true' }))).toBe(true);
    expect(githubReporter.enabled?.(env({ GITHUB_ACTIONS: 'false' }))).toBe(false);
    expect(githubReporter.enabled?.(env({ CI: 'true' }))).toBe(false);
  });

  it('annotates only the findings at or above failOn', async () => {
    const result = hostileResult(); // one critical, one low finding
    expect(annotated((await report({ ...result, failOn: 'high' }, 1)).printed.stdout)).toEqual(['critical']);
    expect(annotated((await report({ ...result, failOn: 'low' }, 1)).printed.stdout)).toEqual(['critical', 'low']);
    expect(
      (await report({ ...result, failOn: 'critical', findings: result.findings.slice(1) }, 0)).printed.stdout,
    ).toBe('');
  });

  it('appends the markdown summary to the step summary, and only when one is named', async () => {
    const result = hostileResult();
    const out = await report(result, 1, { env: { GITHUB_STEP_SUMMARY: '/run/summary' } });
    expect(out.appended.get('GITHUB_STEP_SUMMARY')).toBe(renderMarkdown(result, 1));
    expect(out.files.size).toBe(0);
    expect((await report(result, 1)).appended.size).toBe(0);
  });

  it('warns, and still annotates, when the step summary cannot be written', async () => {
    const out = await report(hostileResult(), 1, {
      env: { GITHUB_STEP_SUMMARY: '/run/summary' },
      failing: '/run/summary',
    });
    expect(out.printed.stderr).toMatch(/^idem-audit: cannot write the step summary \/run\/summary: ENOSPC/);
    expect(annotated(out.printed.stdout)).toEqual(['critical']);
  });

  it('names a relative scenario file relative to the working directory, not the process', () => {
    const result = hostileResult();
    const at = (file: string, cwd: string): string =>
      /file=([^,]*),/.exec(githubAnnotations({ ...result, scenario: { ...result.scenario, file } }, cwd))?.[1] ?? '';
    expect(at('scenarios/x.yaml', '/nowhere')).toBe('scenarios/x.yaml');
    expect(at('/w/scenarios/x.yaml', '/w')).toBe('scenarios/x.yaml');
  });
});
