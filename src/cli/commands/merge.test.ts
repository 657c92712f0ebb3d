import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/helpers/cli.js';
import type { AttackResult, AuditResult } from '../../result/result.js';
import { exitCodeOf } from '../../verdict/exit-codes.js';
import type { Finding } from '../../findings/finding.js';
import { hostileResult } from '../../reporters/__fixtures__/hostile-result.js';
import { mergeResults } from './merge.js';

const work = mkdtempSync(join(tmpdir(), 'idem-merge-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A report holding only the given cells (attack results) and the findings on them. */
function part(
  base: AuditResult,
  cells: readonly AttackResult[],
  shard?: { index: number; count: number },
): AuditResult {
  const keep = (f: Finding): boolean => cells.some((c) => c.attack === f.attack && c.endpoint === f.endpoint);
  return { ...base, attacks: [...cells], findings: base.findings.filter(keep), ...(shard ? { shard } : {}) };
}

function write(name: string, r: AuditResult): string {
  const file = join(work, `${name}.json`);
  writeFileSync(file, JSON.stringify(r));
  return file;
}

describe('merge', () => {
  const whole = hostileResult();
  const [burst, missing, ttl] = whole.attacks;
  if (!burst || !missing || !ttl) throw new Error('fixture has three attacks');

  it('keeps two findings of one cell that share a fingerprint, as the unsharded run does', () => {
    const f = whole.findings[0];
    if (!f) throw new Error('fixture has a finding');
    const twice: AuditResult = {
      ...whole,
      findings: [f, { ...f, message: 'second round' }, ...whole.findings.slice(1)],
    };
    const merged = mergeResults([part(twice, [burst, ttl]), part(twice, [missing])]);
    expect(merged.findings.map((x) => x.message)).toEqual(twice.findings.map((x) => x.message));
    expect(merged.summary.findings.critical).toBe(2);
  });

  it('deals shards back into the plan order and recomputes the burst statistics of all shards', () => {
    const withStats: AuditResult = { ...whole, burstStats: { bogus: {} as never } };
    // --shard 1/2 ran plan items 0 and 2, --shard 2/2 item 1; given in any order.
    const merged = mergeResults([
      part(withStats, [missing], { index: 2, count: 2 }),
      part(withStats, [burst, ttl], { index: 1, count: 2 }),
    ]);
    expect(merged.attacks.map((a) => a.attack)).toEqual(whole.attacks.map((a) => a.attack));
    expect(merged.findings.map((f) => f.attack)).toEqual(['concurrent-burst', 'concurrent-burst', 'missing-key']);
    expect(Object.keys(merged.burstStats ?? {})).not.toContain('bogus');
    expect(exitCodeOf(merged)).toBe(exitCodeOf(whole));
  });

  it('refuses a shard set with a shard missing, instead of a clean-looking partial report', async () => {
    const s1 = write('s1', part(whole, [missing], { index: 1, count: 3 }));
    const s3 = write('s3', part(whole, [ttl], { index: 3, count: 3 }));
    const r = await cli(['merge', s1, s3, '--out', join(work, 'm1')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shard 2\/3 missing/);
    const s2 = write('s2', part(whole, [burst], { index: 2, count: 3 }));
    const ok = await cli(['merge', s1, s2, s3, '--out', join(work, 'm2'), '--reporter', 'json']);
    expect(ok.code, ok.stderr).toBe(exitCodeOf(whole));
    const merged = JSON.parse(readFileSync(join(work, 'm2', 'report.json'), 'utf8')) as Record<string, unknown>;
    expect(merged['shard']).toBeUndefined();
    const other = write('o2', part(whole, [burst], { index: 2, count: 4 }));
    expect((await cli(['merge', s1, other, s3, '--out', join(work, 'm3')])).stderr).toMatch(/different splits/);
  });

  it('rejects reports of different scenarios and a report with a malformed attack list', async () => {
    const a = write('a', part(whole, [burst]));
    const b = write('b', { ...part(whole, [missing]), scenario: { name: 'other', file: 'o.yaml' } });
    const r = await cli(['merge', a, b, '--out', join(work, 'm4')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/different scenarios/);
    const broken = write('broken', { ...whole, attacks: [null] as never });
    const r2 = await cli(['merge', a, broken, '--out', join(work, 'm5')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).not.toContain('internal error');
  });
});
