/**
 * Choosing outputs (--reporter, --quiet), GitHub Actions integration (step summary, ::error
 * annotations), the HAR of every exchange, and the progress display staying silent
 * wherever output is not an interactive terminal.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reporterEnvironment } from '../src/cli/reporting.js';
import { githubAnnotations } from '../src/reporters/github.js';
import { progressEnabled } from '../src/reporters/progress.js';
import { selectReporters } from '../src/reporters/select-reporters.js';
import { parseFlaws, startDemoServer } from '../src/demo/index.js';
import type { AuditResult } from '../src/result/result.js';
import { DEMO_SCENARIO } from './helpers/audit-demo.js';
import { cli } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'idem-reporting-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function demoRun(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Awaited<ReturnType<typeof cli>>> {
  const server = await startDemoServer({ flaws: parseFlaws('all') });
  try {
    return await cli(['run', DEMO_SCENARIO, '--seed', '4', ...args], { env: { DEMO_URL: server.url, ...env } });
  } finally {
    await server.close();
  }
}

interface Har {
  log: {
    version: string;
    creator: { name: string };
    entries: {
      startedDateTime: string;
      time: number;
      request: { method: string; url: string; headers: { name: string; value: string }[] };
      response: { status: number; content: { text?: string } };
      timings: { send: number; wait: number; receive: number };
    }[];
  };
}

describe('report outputs', () => {
  it('writes every file report by default, a HAR of every exchange, and GitHub outputs in Actions', async () => {
    const out = join(work, 'all');
    const summary = join(work, 'summary.md');
    writeFileSync(summary, '');
    const r = await demoRun(['--out', out, '--only', 'concurrent-burst,sequential-replay,missing-key'], {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(r.code).toBe(1);
    expect(readdirSync(out).sort()).toEqual([
      'events.ndjson',
      'junit.xml',
      'report.html',
      'report.json',
      'summary.md',
      'traffic.har',
    ]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as AuditResult;

    const har = JSON.parse(readFileSync(join(out, 'traffic.har'), 'utf8')) as Har;
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator.name).toBe('idem-audit');
    expect(har.log.entries.length).toBe(report.requests);
    for (const e of har.log.entries) {
      expect(Number.isNaN(Date.parse(e.startedDateTime))).toBe(false);
      expect(e.time).toBeGreaterThanOrEqual(0);
      expect(e.timings.wait).toBeGreaterThanOrEqual(0);
    }
    const harText = readFileSync(join(out, 'traffic.har'), 'utf8');
    expect(harText).not.toContain('demo-alice-token');
    expect(harText).toContain('[REDACTED]');

    // Step summary and one ::error annotation per finding at or above fail-on.
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain('## idem-audit · demo');
    for (const f of report.findings) expect(md).toContain(f.fingerprint);
    const failing = report.findings.filter((f) => ['high', 'critical'].includes(f.severity));
    expect(failing.length).toBeGreaterThan(0);
    expect(r.stdout.match(/^::error file=scenarios\/demo\.yaml,title=/gm)?.length).toBe(failing.length);
  }, 120_000);

  it('--reporter picks the outputs, --quiet silences the terminal', async () => {
    const out = join(work, 'some');
    const r = await demoRun(['--out', out, '--reporter', 'junit,har', '--quiet', '--only', 'sequential-replay']);
    expect(r.code).toBe(1);
    expect(readdirSync(out).sort()).toEqual(['events.ndjson', 'junit.xml', 'traffic.har']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    const loud = await demoRun(['--out', join(work, 'loud'), '--reporter', 'terminal', '--only', 'missing-key']);
    expect(loud.stdout).toContain('Summary:');
    expect(existsSync(join(work, 'loud', 'report.json'))).toBe(false);
    expect(loud.stdout).not.toContain('::error');

    const bad = await cli(['run', DEMO_SCENARIO, '--reporter', 'pdf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown reporter 'pdf'");
    const env = reporterEnvironment(cliIo({}, false), { quiet: false, live: true });
    expect(selectReporters(undefined, env).map((s) => s.meta.id)).toEqual([
      'events',
      'har',
      'html',
      'json',
      'junit',
      'markdown',
      'terminal',
    ]);
  }, 120_000);

  it('escapes annotation properties so a colon or comma cannot end them', () => {
    const text = githubAnnotations(
      {
        scenario: { name: 's', file: '/w/a,b:c.yaml' },
        failOn: 'high',
        findings: [
          {
            severity: 'critical',
            kind: 'k',
            endpoint: 'e,1',
            title: 'T',
            message: 'line1\nline2 100%',
            reproduce: { command: 'idem-audit run x', curl: [], seed: 1, timingDependent: false },
          },
          { severity: 'low', kind: 'quiet', endpoint: 'e', title: 'T', message: 'm', reproduce: { command: 'c' } },
        ],
      } as unknown as AuditResult,
      '/w',
    );
    expect(text).toBe(
      '::error file=a%2Cb%3Ac.yaml,title=idem-audit critical%3A k on e%2C1::T: line1%0Aline2 100%25%0Areproduce: idem-audit run x\n',
    );
  });
});

describe('progress', () => {
  it('is shown only on an interactive terminal outside CI and without --quiet', () => {
    const shown = (env: NodeJS.ProcessEnv, stdoutTty: boolean, stderrTty: boolean, quiet = false): boolean =>
      progressEnabled(reporterEnvironment(cliIo(env, stdoutTty), { quiet, live: true }, { isTTY: stderrTty }));
    expect(shown({}, true, true)).toBe(true);
    expect(shown({}, false, true)).toBe(false);
    expect(shown({}, true, false)).toBe(false);
    expect(shown({ CI: 'true' }, true, true)).toBe(false);
    expect(shown({}, true, true, true)).toBe(false);
  });
});

function cliIo(env: NodeJS.ProcessEnv, isTTY: boolean): Parameters<typeof reporterEnvironment>[0] {
  return { stdout: () => undefined, stderr: () => undefined, isTTY, env, cwd: '/' };
}
