/**
 * The CI packaging, checked offline: action.yml has what GitHub requires of a composite action
 * and passes inputs to its scripts only through the environment; the scripts of the action and
 * of the GitLab template run for real (bash, the built CLI, the demo target) with the variables
 * those CI systems set; every YAML example in docs/ci.md parses, and the Kubernetes Indexed Job
 * there hands each pod a shard of the right split.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseFlaws, startDemoServer, type DemoServer } from '../src/demo/index.js';
import type { AuditResult } from '../src/result/result.js';
import { DEMO_SCENARIO } from './helpers/audit-demo.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'idem-audit.js');
const run = promisify(execFile);

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Action {
  name?: string;
  description?: string;
  inputs: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs: Record<string, { value?: string }>;
  runs: { using?: string; steps: Step[] };
}

const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as Action;
const steps = action.runs.steps;
const auditStep = steps.find((s) => s.id === 'audit');

const work = mkdtempSync(join(tmpdir(), 'idem-ci-'));
let demo: DemoServer;
beforeAll(async () => {
  demo = await startDemoServer({ flaws: parseFlaws('all') });
});
afterAll(async () => {
  await demo.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs a script with bash in `cwd`, with nothing of this process's environment but PATH. */
async function bash(script: string, env: Record<string, string>, cwd = work) {
  try {
    // --norc: a pipe on stdin looks like a remote shell to bash, which would then read ~/.bashrc.
    const r = await run('bash', ['--norc', '--noprofile', '-c', script], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', ...env },
    });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const report = (dir: string): AuditResult => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as AuditResult;

describe('action.yml', () => {
  it('has what GitHub requires of a composite action', () => {
    expect(action.name).toBeTruthy();
    expect(action.description).toBeTruthy();
    expect(action.runs.using).toBe('composite');
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      expect(Boolean(s.uses) !== Boolean(s.run), `step ${s.name ?? '?'} has exactly one of uses and run`).toBe(true);
      if (s.run !== undefined) expect(s.shell, `run step ${s.name ?? '?'} names its shell`).toBe('bash');
      if (s.uses !== undefined) expect(s.uses).toMatch(/^[\w.-]+\/[\w./-]+@v\d+$/);
    }
    expect(action.inputs['scenario']?.required).toBe(true);
    for (const [name, input] of Object.entries(action.inputs)) expect(input.description, name).toBeTruthy();
  });

  it('names only declared inputs and steps, and never splices an expression into a script', () => {
    const text = readFileSync(join(ROOT, 'action.yml'), 'utf8');
    for (const m of text.matchAll(/\binputs\.([\w-]+)/g)) expect(Object.keys(action.inputs)).toContain(m[1]);
    const ids = steps.map((s) => s.id).filter(Boolean);
    for (const m of text.matchAll(/\bsteps\.([\w-]+)\.outputs/g)) expect(ids).toContain(m[1]);
    for (const s of steps) if (s.run !== undefined) expect(s.run).not.toContain('${{');
    expect(action.outputs['exit-code']?.value).toBe('${{ steps.audit.outputs.exit-code }}');
    expect(steps.map((s) => s.uses).filter(Boolean)).toEqual([
      'actions/setup-node@v4',
      'actions/upload-artifact@v4',
      'github/codeql-action/upload-sarif@v3',
    ]);
  });

  it('its audit script runs idem-audit with the inputs and hands on the exit code and the SARIF file', async () => {
    if (!auditStep?.run) throw new Error('no audit step');
    const outputs = join(work, 'github-output');
    writeFileSync(outputs, '');
    const r = await bash(auditStep.run, {
      IDEM_BIN: BIN,
      IDEM_SCENARIO: DEMO_SCENARIO,
      IDEM_ARGS: '--only missing-key --endpoint key-optional,correct --quiet',
      IDEM_FAIL_ON: 'low',
      IDEM_BASELINE: '',
      IDEM_SARIF: 'true',
      IDEM_OUT: 'gh-report',
      GITHUB_OUTPUT: outputs,
      DEMO_URL: demo.url,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0); // the verdict step fails the job, after the uploads
    expect(readFileSync(outputs, 'utf8').split('\n')).toEqual([
      'exit-code=1',
      'report-dir=gh-report',
      'sarif-file=gh-report/report.sarif',
      '',
    ]);
    expect(existsSync(join(work, 'gh-report', 'report.sarif'))).toBe(true);
    expect(report(join(work, 'gh-report')).failOn).toBe('low');
  }, 60_000);

  it('its verdict step fails for every code but 0', async () => {
    const verdict = steps.find((s) => s.name === 'Verdict');
    if (!verdict?.run) throw new Error('no verdict step');
    const summary = join(work, 'summary.md');
    writeFileSync(summary, '');
    expect((await bash(verdict.run, { CODE: '0' })).code).toBe(0);
    for (const code of ['1', '2', '3', '130', '']) {
      const r = await bash(verdict.run, { CODE: code, ARTIFACT: 'a', GITHUB_STEP_SUMMARY: summary });
      expect(r.code, `exit ${code}`).toBe(1);
      expect(r.stdout).toMatch(/^::error title=idem-audit::/);
    }
    expect(readFileSync(summary, 'utf8')).toContain('could not be carried out');
  });
});

describe('GitLab template', () => {
  const template = parseYaml(readFileSync(join(ROOT, 'ci/gitlab/idem-audit.gitlab-ci.yml'), 'utf8')) as Record<
    string,
    { script: string[]; variables: Record<string, string>; artifacts: { reports: { junit: string } } }
  >;
  const audit = template['.idem-audit'];
  const merge = template['.idem-audit-merge'];

  it('has hidden jobs to extend, with JUnit reports', () => {
    expect(audit?.artifacts.reports.junit).toBe('idem-audit-report/shard-*/junit.xml');
    expect(merge?.artifacts.reports.junit).toBe('idem-audit-report/merged/junit.xml');
  });

  it('two parallel jobs audit one shard each, and the merge joins them', async () => {
    if (!audit || !merge) throw new Error('missing jobs');
    const dir = mkdtempSync(join(work, 'gitlab-'));
    const vars = {
      ...audit.variables,
      IDEM_AUDIT: `node ${BIN}`,
      IDEM_AUDIT_SCENARIO: DEMO_SCENARIO,
      IDEM_AUDIT_ARGS: '--only missing-key,distinct-keys --endpoint key-optional,correct',
      CI_PIPELINE_IID: '41',
      CI_NODE_TOTAL: '2',
      DEMO_URL: demo.url,
    };
    const codes: number[] = [];
    for (const index of ['1', '2']) {
      const r = await bash(audit.script.join('\n'), { ...vars, CI_NODE_INDEX: index }, dir);
      expect(r.stderr).toBe('');
      codes.push(r.code);
      const shard = report(join(dir, 'idem-audit-report', `shard-${index}`));
      expect(shard.shard).toEqual({ index: Number(index), count: 2 });
      expect(shard.seed).toBe(41);
    }
    const m = await bash(merge.script.join('\n'), { IDEM_AUDIT: `node ${BIN}` }, dir);
    const merged = report(join(dir, 'idem-audit-report', 'merged'));
    expect(merged.attacks).toHaveLength(4);
    expect(m.code).toBe(Math.max(...codes));
    expect(existsSync(join(dir, 'idem-audit-report', 'merged', 'junit.xml'))).toBe(true);
  }, 60_000);
});

describe('docs/ci.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/ci.md'), 'utf8');
  const blocks = [...doc.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

  it('every YAML example parses', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const b of blocks) for (const d of parseAllDocuments(b)) expect(d.errors, b.slice(0, 80)).toEqual([]);
  });

  it('the Kubernetes Indexed Job gives each pod one shard of as many as it has completions', () => {
    const docs = blocks.flatMap((b) => parseAllDocuments(b).map((d) => d.toJS() as Record<string, unknown>));
    const job = docs.find((d) => d?.['kind'] === 'Job') as
      | {
          spec: {
            completionMode: string;
            completions: number;
            parallelism: number;
            template: { spec: { containers: { args: string[]; env: { name: string; value: string }[] }[] } };
          };
        }
      | undefined;
    if (!job) throw new Error('docs/ci.md has no Kubernetes Job');
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.parallelism).toBeLessThanOrEqual(job.spec.completions);
    const container = job.spec.template.spec.containers[0];
    expect(container?.args.join(' ')).toContain('--shard auto');
    expect(container?.env.find((e) => e.name === 'IDEM_AUDIT_SHARD_COUNT')?.value).toBe(String(job.spec.completions));
    expect(doc).toMatch(/idem-audit merge/);
  });
});
