/**
 * `idem-audit replay`: the requests behind a demo finding, re-sent to a fresh demo target, still
 * reproduce against the flawed implementation and no longer reproduce against the correct one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlaws, startDemoServer } from '../src/demo/index.js';
import type { AuditResult } from '../src/result/result.js';
import { DEMO_SCENARIO } from './helpers/audit-demo.js';
import { cli } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'idem-replay-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function withDemo<T>(flaws: string, fn: (url: string) => Promise<T>): Promise<T> {
  const server = await startDemoServer({ flaws: parseFlaws(flaws) });
  try {
    return await fn(server.url);
  } finally {
    await server.close();
  }
}

describe('replay', () => {
  it('reproduces a finding on the flawed target and not on a fixed one', async () => {
    const out = join(work, 'run');
    await withDemo('all', (url) =>
      cli(
        [
          'run',
          DEMO_SCENARIO,
          '--seed',
          '2',
          '--only',
          'sequential-replay',
          '--endpoint',
          'ignore-key',
          '--out',
          out,
          '--reporter',
          'json',
        ],
        {
          env: { DEMO_URL: url },
        },
      ),
    );
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as AuditResult;
    const finding = report.findings.find((f) => f.kind === 'duplicate-write');
    expect(finding).toBeDefined();
    const fp = finding?.fingerprint ?? '';
    // The report only holds [REDACTED]; the credentials come back from the scenario.
    expect(JSON.stringify(report)).not.toContain('demo-alice-token');

    const again = await withDemo('all', (url) =>
      // No DEMO_URL: the observers must follow --target, not the scenario's default base URL.
      cli(['replay', join(out, 'report.json'), '--finding', fp, '--target', url]),
    );
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('reproduced');
    expect(again.code).toBe(1);

    const fixed = await withDemo('none', (url) =>
      cli(['replay', join(out, 'report.json'), '--finding', fp, '--target', url], { env: { DEMO_URL: url } }),
    );
    expect(fixed.stdout).toContain('not reproduced');
    expect(fixed.code).toBe(0);
  }, 120_000);

  it('re-releases a burst together and re-counts its side effects', async () => {
    const out = join(work, 'burst');
    await withDemo('all', (url) =>
      cli(
        [
          'run',
          DEMO_SCENARIO,
          '--seed',
          '2',
          '--only',
          'concurrent-burst',
          '--endpoint',
          'ignore-key',
          '--out',
          out,
          '--reporter',
          'json',
        ],
        { env: { DEMO_URL: url } },
      ),
    );
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as AuditResult;
    const finding = report.findings.find((f) => f.kind === 'duplicate-write');
    const burst = finding?.exchanges.filter((e) => e.burst !== undefined) ?? [];
    expect(burst.length).toBeGreaterThan(1);
    const again = await withDemo('all', (url) =>
      cli(['replay', join(out, 'report.json'), '--finding', finding?.fingerprint ?? '', '--target', url]),
    );
    expect(again.stdout).toMatch(
      new RegExp(
        `reproduced .*: 1 group\\(s\\), ${burst.length} request\\(s\\); side effects per key: expected 1, now ${burst.length} `,
      ),
    );
    expect(again.code).toBe(1);
  }, 120_000);

  it('refuses clearly when a redacted secret cannot be restored, or the finding is unknown', async () => {
    const out = join(work, 'run');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as AuditResult;
    const scenario = join(work, 'no-auth.yaml');
    writeFileSync(
      scenario,
      readFileSync(DEMO_SCENARIO, 'utf8').replace(/^\s+Authorization:.*$/m, "    X-Unrelated: 'yes'"),
    );
    const fp = report.findings[0]?.fingerprint ?? '';
    const r = await cli(['replay', join(out, 'report.json'), '--finding', fp, '--scenario', scenario]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot restore the redacted header 'Authorization'");
    const unknown = await cli(['replay', join(out, 'report.json'), '--finding', 'ffffffffffff']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no finding');
  });
});
