/**
 * `run --shard i/n` + `merge`: three shards of the demo audit, merged, must report what the
 * unsharded run reports. Each run gets a fresh demo target: the seeded keys repeat across runs
 * and would otherwise be replays of the previous run's requests.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlaws, startDemoServer } from '../src/demo/index.js';
import type { AuditResult } from '../src/result/result.js';
import { DEMO_SCENARIO } from './helpers/audit-demo.js';
import { cli } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'idem-shards-'));
/** Four attacks on every demo endpoint: a matrix large enough to slice, cheap enough to run four times. */
const SUBSET = 'concurrent-burst,sequential-replay,missing-key,distinct-keys';
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function runDemo(out: string, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const server = await startDemoServer({ flaws: parseFlaws('all') });
  try {
    const r = await cli(
      ['run', DEMO_SCENARIO, '--seed', '11', '--out', out, '--reporter', 'json', '--only', SUBSET, ...extra],
      {
        env: { ...env, DEMO_URL: server.url },
      },
    );
    if (r.code === 2) throw new Error(r.stderr);
    return r.code;
  } finally {
    await server.close();
  }
}

/** The unsharded run both tests compare with, run once. */
const whole = join(work, 'whole');
let wholeRun: Promise<number> | undefined;
const runWhole = (): Promise<number> => (wholeRun ??= runDemo(whole, []));

const read = (dir: string): AuditResult => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as AuditResult;
const cells = (r: AuditResult): string[] => r.attacks.map((a) => `${a.attack}@${a.endpoint}`).sort();
/** Timing-dependent findings (the race) may come and go between runs; every other one may not. */
const stable = (r: AuditResult): string[] =>
  r.findings
    .filter((f) => !f.reproduce.timingDependent)
    .map((f) => `${f.kind}@${f.endpoint}@${f.attack}#${f.fingerprint}`)
    .sort();

describe('sharding', () => {
  it('three merged shards report the same findings as the unsharded run', async () => {
    const wholeCode = await runWhole();
    const shardDirs = [1, 2, 3].map((i) => join(work, `shard-${i}`));
    for (const [i, dir] of shardDirs.entries()) await runDemo(dir, ['--shard', `${i + 1}/3`]);

    const full = read(whole);
    const shards = shardDirs.map(read);
    // The shards partition the matrix: disjoint, and together the whole.
    const all = shards.flatMap(cells);
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(cells(full));
    for (const s of shards) expect(s.attacks.length).toBeGreaterThan(0);

    const merged = join(work, 'merged');
    const m = await cli(['merge', ...shardDirs.map((d) => join(d, 'report.json')), '--out', merged]);
    expect(m.stderr).toBe('');
    expect(m.code).toBe(wholeCode);
    const result = read(merged);
    expect(cells(result)).toEqual(cells(full));
    expect(stable(result)).toEqual(stable(full));
    expect(stable(full).length).toBeGreaterThan(3);
    expect(result.requests).toBe(shards.reduce((n, s) => n + s.requests, 0));
    for (const f of ['report.html', 'junit.xml', 'summary.md', 'traffic.har'])
      expect(existsSync(join(merged, f))).toBe(true);
    const har = JSON.parse(readFileSync(join(merged, 'traffic.har'), 'utf8')) as { log: { entries: unknown[] } };
    expect(har.log.entries.length).toBe(result.requests);
  }, 240_000);

  it("--shard auto takes each CI system's job numbering; the merged shards equal the unsharded run", async () => {
    const wholeCode = await runWhole();
    // One shard per numbering: GitLab from 1, CircleCI and Kubernetes from 0 (count given).
    const jobs: [string, NodeJS.ProcessEnv, string[]][] = [
      ['gitlab', { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' }, []],
      ['circleci', { CIRCLE_NODE_INDEX: '1', CIRCLE_NODE_TOTAL: '3' }, []],
      ['k8s', { JOB_COMPLETION_INDEX: '2' }, ['--shard-count', '3']],
    ];
    const dirs: string[] = [];
    for (const [name, env, extra] of jobs) {
      const dir = join(work, `auto-${name}`);
      await runDemo(dir, ['--shard', 'auto', ...extra], env);
      dirs.push(dir);
    }
    expect(dirs.map((d) => read(d).shard)).toEqual([1, 2, 3].map((index) => ({ index, count: 3 })));
    const merged = join(work, 'auto-merged');
    const m = await cli(['merge', ...dirs.map((d) => join(d, 'report.json')), '--out', merged, '--reporter', 'json']);
    expect(m.stderr).toBe('');
    const full = read(whole);
    const result = read(merged);
    expect(cells(result)).toEqual(cells(full));
    expect(stable(result)).toEqual(stable(full));
    expect(m.code).toBe(wholeCode);
  }, 240_000);

  it('rejects a malformed shard and a report given twice', async () => {
    const bad = await cli(['run', DEMO_SCENARIO, '--shard', '4/3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--shard');
    const dir = join(work, 'shard-1');
    if (!existsSync(join(dir, 'report.json'))) return;
    const twice = await cli(['merge', join(dir, 'report.json'), join(dir, 'report.json'), '--out', join(work, 'x')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('appears in two reports');
  });
});
