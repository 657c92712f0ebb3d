/**
 * `idem-audit verify`: a run plants ttl-probe's keys against the demo target (a TTL longer than
 * the run may wait), and later verify runs judge them. Before the due time they are pending, never
 * passed; after it, the short-ttl flaw (keys forgotten after 0.8 s, 3 s declared) is found; with
 * the target down nothing is judged, the run exits 3 and every check stays pending.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlaws, startDemoServer } from '../src/demo/index.js';
import type { AuditResult } from '../src/result/result.js';
import { DEMO_SCENARIO } from './helpers/audit-demo.js';
import { cli } from './helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'idem-verify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const readResult = (dir: string): AuditResult & { exitCode: number } =>
  JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as AuditResult & { exitCode: number };

const pendingOf = (r: AuditResult, endpoint: string): string[] =>
  (r.attacks.find((a) => a.endpoint === endpoint && a.attack === 'ttl-probe')?.pending ?? []).map((p) => p.dueAt);

describe('verify', () => {
  it('keeps checks pending until due, finds the short TTL after, and keeps them through a target that is down', async () => {
    const server = await startDemoServer({ flaws: parseFlaws('short-ttl') });
    const env = { DEMO_URL: server.url };
    let stopped = false;
    try {
      const run = join(work, 'run');
      const planted = await cli(
        ['run', DEMO_SCENARIO, '--only', 'ttl-probe', '--endpoint', 'short-ttl,correct', '--max-wait', '100ms'].concat([
          '--seed',
          '3',
          '--out',
          run,
          '--reporter',
          'json,html,junit',
        ]),
        { env },
      );
      // Every check pending: nothing was audited yet, and the run says so.
      expect(planted.code).toBe(3);
      const original = readResult(run);
      expect(original.findings).toEqual([]);
      expect(original.attacks.map((a) => [a.endpoint, a.status])).toEqual([
        ['correct', 'skipped'],
        ['short-ttl', 'skipped'],
      ]);
      expect(original.attacks[1]?.reason).toMatch(/^pending: 2 retention checks planted/);
      const due = pendingOf(original, 'short-ttl');
      expect(due).toHaveLength(2);
      expect(pendingOf(original, 'correct')).toHaveLength(2);
      // Secrets stay redacted in the checks' evidence.
      expect(readFileSync(join(run, 'report.json'), 'utf8')).not.toContain('demo-alice-token');

      const early = join(work, 'early');
      const tooEarly = await cli(['verify', join(run, 'report.json'), '--out', early], { env });
      expect(tooEarly.stdout).toMatch(
        /verify: short-ttl › ttl-probe: 2 checks → skipped \(pending: 2 retention checks, the next due at/,
      );
      expect(tooEarly.stdout).toContain('pending until');
      expect(tooEarly.code).toBe(3);
      const stillPending = readResult(early);
      expect(stillPending.findings).toEqual([]);
      expect(pendingOf(stillPending, 'short-ttl')).toEqual(due);
      expect(stillPending.attacks.some((a) => a.status === 'passed')).toBe(false);

      // Past the first due time (1.5 s after planting), the key, kept only 0.8 s, executes again.
      await sleep(Math.max(0, Date.parse(due[0] ?? '') - Date.now()) + 300);
      const after = join(work, 'after');
      const found = await cli(['verify', join(early, 'report.json'), '--out', after], { env });
      expect(found.code).toBe(1);
      const judged = readResult(after);
      expect(judged.exitCode).toBe(1);
      expect(judged.findings.map((f) => `${f.kind}@${f.endpoint}`)).toEqual(['ttl-too-short@short-ttl']);
      expect(judged.findings[0]?.message).toMatch(
        /a replay [\d.]+ s after it executed again \(2 side effects\), although the contract promises 3 s/,
      );
      // Broken once is enough: short-ttl's other key is not checked again. The correct endpoint's
      // keys, not due for hours, stay pending.
      expect(pendingOf(judged, 'short-ttl')).toEqual([]);
      expect(judged.attacks.find((a) => a.endpoint === 'short-ttl')?.notes.at(-1)).toMatch(
        /1 other retention check dropped: the key was forgotten by [\d.]+ s$/,
      );
      expect(pendingOf(judged, 'correct')).toHaveLength(2);
      expect(judged.verifications?.map((v) => v.status)).toEqual(['incomplete', 'completed']);
      expect(statSync(join(after, 'report.html')).size).toBeGreaterThan(0);

      await server.close();
      stopped = true;
      await sleep(Math.max(0, Date.parse(due[1] ?? '') - Date.now()) + 100);
      const down = join(work, 'down');
      const unreachable = await cli(['verify', join(early, 'report.json'), '--out', down], { env });
      expect(unreachable.code).toBe(3);
      expect(unreachable.stderr).toContain('IDEM_TARGET_UNREACHABLE');
      const kept = readResult(down);
      expect(kept.status).toBe('incomplete');
      expect(pendingOf(kept, 'short-ttl')).toEqual(due);
      expect(pendingOf(kept, 'correct')).toHaveLength(2);
      // The report verified is never written to.
      expect(readResult(early)).toEqual(stillPending);
    } finally {
      if (!stopped) await server.close();
    }
  }, 60_000);

  it('says so when a report has nothing pending, and refuses a scenario that lost the endpoint', async () => {
    const server = await startDemoServer({ flaws: parseFlaws('none') });
    try {
      const run = join(work, 'nothing');
      await cli(
        ['run', DEMO_SCENARIO, '--only', 'missing-key', '--endpoint', 'correct', '--out', run, '--reporter', 'json'],
        { env: { DEMO_URL: server.url } },
      );
      const r = await cli(['verify', join(run, 'report.json')]);
      expect(r.stdout).toBe('the report has no pending check to verify\n');
      expect(r.code).toBe(0);

      const planted = join(work, 'planted');
      const args = ['run', DEMO_SCENARIO, '--only', 'ttl-probe', '--endpoint', 'correct', '--max-wait', '1s'];
      await cli([...args, '--out', planted, '--reporter', 'json'], { env: { DEMO_URL: server.url } });
      const other = join(work, 'other.yaml');
      writeFileSync(
        other,
        `version: 1\nname: other\ntarget: { baseUrl: "${server.url}" }\nendpoints:\n  pay:\n    request: { path: /correct/payments, body: { amount: 1 } }\n`,
      );
      const lost = await cli(['verify', join(planted, 'report.json'), '--scenario', other, '--out', join(work, 'x')]);
      expect(lost.code).toBe(2);
      expect(lost.stderr).toContain("the scenario has no endpoint 'correct'");
    } finally {
      await server.close();
    }
  });
});
