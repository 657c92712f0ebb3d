/**
 * Baselines end to end, through the CLI: a demo run with some flaws, its baseline, the same flaws
 * again with the baseline (exit 0, the findings still listed as baseline in every report), one
 * more flaw (exit 1, only the new findings failing), and an expired baseline (exit 1 again).
 * Every run has its own seed and key salt: the baseline matches by fingerprint alone.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditResult } from '../src/result/result.js';
import { failsRun } from '../src/verdict/verdict.js';
import { cli } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'idem-baseline-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Deterministic findings of low to critical severity; --fail-on low makes each of them fail unless baselined. */
const ATTACKS = 'missing-key,distinct-keys,sequential-replay';
const KNOWN_FLAWS = 'key-optional,dedupe-by-body,replay-divergent';

async function demo(name: string, flaws: string, seed: number, extra: string[] = []) {
  const out = join(work, name);
  const r = await cli([
    'demo',
    '--flaws',
    flaws,
    '--only',
    ATTACKS,
    '--seed',
    String(seed),
    '--fail-on',
    'low',
    '--quiet',
    '--reporter',
    'default,sarif',
    '--out',
    out,
    ...extra,
  ]);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as AuditResult;
  const file = (f: string): string => readFileSync(join(out, f), 'utf8');
  return { ...r, report, out, file };
}

const failing = (r: AuditResult): string[] =>
  r.findings
    .filter((f) => failsRun(f, r.failOn))
    .map((f) => f.endpoint)
    .sort();

describe('--baseline', () => {
  it('accepts known findings, keeps them visible, and fails only on new ones', async () => {
    const first = await demo('first', KNOWN_FLAWS, 1);
    expect(first.code).toBe(1);
    const known = first.report.findings;
    expect(new Set(known.map((f) => f.endpoint))).toEqual(
      new Set(['key-optional', 'dedupe-by-body', 'replay-divergent']),
    );

    const baselineFile = join(work, 'baseline.json');
    const b = await cli([
      'baseline',
      join(first.out, 'report.json'),
      '--out',
      baselineFile,
      '--reason',
      'tracked in PAY-12',
      '--expires',
      '2999-12-31',
    ]);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/wrote \d+ baseline entries/);

    // The same flaws, another seed and key salt: nothing new, exit 0, every finding still reported.
    const again = await demo('again', KNOWN_FLAWS, 2, ['--baseline', baselineFile]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.report.findings.map((f) => f.fingerprint).sort()).toEqual(known.map((f) => f.fingerprint).sort());
    for (const f of again.report.findings)
      expect(f.baseline).toEqual({ reason: 'tracked in PAY-12', expires: '2999-12-31', expired: false });
    expect(again.report.baseline).toEqual({
      file: baselineFile,
      entries: new Set(known.map((f) => f.fingerprint)).size,
    });
    expect(again.file('junit.xml')).not.toContain('<failure');
    expect(again.file('junit.xml')).toContain('[baseline]');
    expect(again.file('summary.md')).toContain(
      '✅ **PASSED** · exit 0: no finding at or above low outside the baseline',
    );
    expect(again.file('summary.md')).toContain('in the baseline, not failing until 2999-12-31: tracked in PAY-12');
    expect(again.file('report.html')).toContain('in the baseline, not failing until 2999-12-31: tracked in PAY-12');
    const sarif = JSON.parse(again.file('report.sarif')) as { runs: { results: { baselineState: string }[] }[] };
    expect(new Set(sarif.runs[0]?.results.map((r) => r.baselineState))).toEqual(new Set(['unchanged']));

    // One more flaw: exit 1, and only its findings fail.
    const more = await demo('more', `${KNOWN_FLAWS},ignore-key`, 3, ['--baseline', baselineFile]);
    expect(more.code).toBe(1);
    expect(new Set(failing(more.report))).toEqual(new Set(['ignore-key']));
    expect(more.report.findings.filter((f) => f.baseline).length).toBe(known.length);
    const junit = more.file('junit.xml');
    expect(junit.match(/<failure /g)?.length).toBe(
      new Set(more.report.findings.filter((f) => f.endpoint === 'ignore-key').map((f) => f.attack)).size,
    );
    const moreSarif = JSON.parse(more.file('report.sarif')) as {
      runs: { results: { baselineState: string; properties: { endpoint: string } }[] }[];
    };
    for (const r of moreSarif.runs[0]?.results ?? [])
      expect(r.baselineState).toBe(r.properties.endpoint === 'ignore-key' ? 'new' : 'unchanged');
  }, 120_000);

  it('an expired entry no longer suppresses, and the report says it expired', async () => {
    const first = await demo('expiring', 'key-optional', 4);
    const file = join(work, 'expired.json');
    expect(
      (await cli(['baseline', join(first.out, 'report.json'), '--out', file, '--expires', '2020-01-31'])).code,
    ).toBe(0);
    const later = await demo('expired-run', 'key-optional', 5, ['--baseline', file]);
    expect(later.code).toBe(1);
    expect(later.report.findings.length).toBeGreaterThan(0);
    for (const f of later.report.findings) expect(f.baseline).toEqual({ expires: '2020-01-31', expired: true });
    expect(later.file('summary.md')).toContain('baseline entry expired on 2020-01-31, so it fails again');
  }, 60_000);

  it('refuses a bad baseline or expiry with a usage error', async () => {
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"baselineVersion": 1, "entries": 3}');
    const run = await cli([
      'demo',
      '--flaws',
      'none',
      '--only',
      'missing-key',
      '--baseline',
      bad,
      '--out',
      join(work, 'x'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is not a valid baseline');
    const expiry = await cli(['baseline', bad, '--expires', '31/12/2026']);
    expect(expiry.code).toBe(2);
    expect(expiry.stderr).toContain('--expires must be a date as YYYY-MM-DD');
  });
});
