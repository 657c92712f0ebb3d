/**
 * `merge` builds its traffic.har by replaying the shards' events.ndjson through the reporters:
 * the merged HAR holds every logged exchange, shard after shard, each timed from its own run.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../test/helpers/cli.js';
import type { RunEvent } from '../result/events.js';
import type { AuditResult } from '../result/result.js';
import type { Exchange } from '../http/exchange.js';
import { hostileResult, hostileRunEvents } from '../reporters/__fixtures__/hostile-result.js';

const work = mkdtempSync(join(tmpdir(), 'idem-replay-log-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Har {
  log: { entries: { startedDateTime: string; _idemAudit: { id: number } }[] };
}

/** A shard folder: report.json with one attack of the fixture, and its event log: text, a directory in its place, or none. */
function shard(name: string, index: number, log: string | { directory: true } | undefined): string {
  const whole = hostileResult();
  const attack = whole.attacks[index - 1];
  if (!attack) throw new Error('fixture has three attacks');
  const report: AuditResult = {
    ...whole,
    attacks: [attack],
    findings: whole.findings.filter((f) => f.attack === attack.attack),
  };
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...report, shard: { index, count: 3 } }));
  if (typeof log === 'object') mkdirSync(join(dir, 'events.ndjson'));
  else if (log !== undefined) writeFileSync(join(dir, 'events.ndjson'), log);
  return join(dir, 'report.json');
}

const exchange = (id: number, queued: number): Exchange => {
  const base = hostileResult().findings[0]?.exchanges[0];
  if (!base) throw new Error('fixture has an exchange');
  return { ...base, id, timings: { queued, done: queued + 1 } };
};

const ndjson = (events: readonly RunEvent[]): string => events.map((e) => `${JSON.stringify(e)}\n`).join('');

describe('merge replays the shards’ event logs', () => {
  it('into one HAR: every exchange, shard after shard, each timed from its own run start', async () => {
    const start = (at: string): RunEvent => ({
      type: 'run-start',
      at,
      scenario: 's',
      seed: 7,
      keySalt: 'k',
      attacks: 1,
    });
    const first = ndjson([
      start('2026-01-01T00:00:00.000Z'),
      ...hostileRunEvents().slice(1, 6),
      { type: 'exchange', exchange: exchange(3, 10) },
    ]);
    const second = `${ndjson([start('2026-03-01T00:00:00.000Z'), { type: 'exchange', exchange: exchange(1, 5) }])}{"type":"exch`;
    const files = [shard('a', 1, first), shard('b', 2, second), shard('c', 3, undefined)];
    const r = await cli(['merge', ...files, '--out', join(work, 'merged'), '--reporter', 'har,json']);
    expect(r.stderr).toBe('');
    const har = JSON.parse(readFileSync(join(work, 'merged', 'traffic.har'), 'utf8')) as Har;
    expect(har.log.entries.map((e) => [e._idemAudit.id, e.startedDateTime])).toEqual([
      [1, '2026-01-01T00:00:00.001Z'],
      [2, '2026-01-01T00:00:00.001Z'],
      [3, '2026-01-01T00:00:00.010Z'],
      [1, '2026-03-01T00:00:00.005Z'],
    ]);
    // A merge has no run of its own to log.
    expect(existsSync(join(work, 'merged', 'events.ndjson'))).toBe(false);
  });

  it('writes every report, then fails naming the log it could not read', async () => {
    const files = [shard('d', 1, ''), shard('e', 2, { directory: true }), shard('f', 3, '')];
    const out = join(work, 'unread');
    const r = await cli(['merge', ...files, '--out', out, '--quiet']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot read the event log .*e[/\\]events\.ndjson: EISDIR.*\[IDEM_REPORT_WRITE_FAILED\]/);
    for (const f of ['report.json', 'report.html', 'junit.xml', 'summary.md', 'traffic.har'])
      expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('writes the other reports when one cannot be written, then fails naming it', async () => {
    const files = [shard('g', 1, ''), shard('h', 2, ''), shard('i', 3, '')];
    const out = join(work, 'blocked');
    mkdirSync(join(out, 'report.html'), { recursive: true });
    const r = await cli(['merge', ...files, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /^error: cannot write report\.html \(html reporter\): EISDIR.*\[IDEM_REPORT_WRITE_FAILED\]$/m,
    );
    expect(r.stdout).toContain('Summary:');
    for (const f of ['report.json', 'junit.xml', 'summary.md', 'traffic.har'])
      expect(existsSync(join(out, f)), f).toBe(true);
  });
});
