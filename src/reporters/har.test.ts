import { describe, expect, it } from 'vitest';
import type { Exchange } from '../http/exchange.js';
import { hostileResult, hostileRunEvents } from './__fixtures__/hostile-result.js';
import { memoryContext, memoryOutput } from './__fixtures__/memory-output.js';
import { HAR_FILE, harEntry, harReporter } from './har.js';
import { runReporters } from './run-reporters.js';

interface Har {
  log: { creator: { version: string }; entries: { startedDateTime: string; _idemAudit: { id: number } }[] };
}

const exchangeOf = (id: number): Exchange => {
  const base = hostileResult().findings[0]?.exchanges[0];
  if (!base) throw new Error('fixture has an exchange');
  return { ...base, id, timings: { queued: id, sent: id + 0.5, headers: id + 1, done: id + 2 } };
};

const START = {
  type: 'run-start',
  at: '2026-01-01T00:00:00.000Z',
  scenario: 's',
  seed: 1,
  keySalt: 'k',
  attacks: 1,
} as const;

describe('traffic.har', () => {
  it('lists a form body’s fields as params and says which requests were setup', () => {
    const ex: Exchange = {
      ...exchangeOf(1),
      label: 'setup charge',
      phase: 'setup',
      request: {
        method: 'POST',
        url: 'http://127.0.0.1:1/v1/charges',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'amount=1000&metadata%5Border%5D=o+1',
      },
    };
    const entry = harEntry(ex, 0) as { request: { postData: unknown }; _idemAudit: { phase?: string } };
    expect(entry.request.postData).toEqual({
      mimeType: 'application/x-www-form-urlencoded',
      text: 'amount=1000&metadata%5Border%5D=o+1',
      params: [
        { name: 'amount', value: '1000' },
        { name: 'metadata[order]', value: 'o 1' },
      ],
    });
    expect(entry._idemAudit.phase).toBe('setup');
  });

  it('writes each exchange out as it arrives instead of holding the run', () => {
    const out = memoryOutput();
    const run = runReporters([harReporter], memoryContext(out));
    run.emit(START);
    const writes = (): string[] => out.writes.get(HAR_FILE) ?? [];
    const opened = writes().length;
    for (let id = 1; id <= 1000; id++) {
      run.emit({ type: 'exchange', exchange: exchangeOf(id) });
      // Already out of the reporter's hands, with nothing else written since.
      expect(writes().length).toBe(opened + id);
      expect(writes().at(-1)).toContain(`"_idemAudit":{"id":${id},`);
    }
    expect(out.closed.has(HAR_FILE)).toBe(false);
  });

  it('is HAR 1.2 with one entry per exchange, timed from the run start', async () => {
    const out = memoryOutput();
    const run = runReporters([harReporter], memoryContext(out));
    for (const e of hostileRunEvents()) run.emit(e);
    await run.end(hostileResult(), 1);
    expect(out.closed.has(HAR_FILE)).toBe(true);
    const har = JSON.parse(out.files.get(HAR_FILE) ?? '') as Har;
    expect(har.log.creator.version).toBe('0.0.0-test');
    const exchanges = hostileResult().findings.flatMap((f) => f.exchanges);
    const start = Date.parse(hostileResult().startedAt);
    expect(har.log.entries).toEqual(exchanges.map((x) => harEntry(x, start)));
    expect(har.log.entries[0]?.startedDateTime).toBe('2026-01-01T00:00:00.001Z');
  });

  it('takes the clock of each run start, as a merge replays shard after shard', async () => {
    const out = memoryOutput();
    const run = runReporters([harReporter], memoryContext(out));
    run.emit(START);
    run.emit({ type: 'exchange', exchange: exchangeOf(1) });
    run.emit({ ...START, at: '2026-02-01T00:00:00.000Z' });
    run.emit({ type: 'exchange', exchange: exchangeOf(1) });
    await run.end(hostileResult(), 1);
    const har = JSON.parse(out.files.get(HAR_FILE) ?? '') as Har;
    expect(har.log.entries.map((e) => e.startedDateTime)).toEqual([
      '2026-01-01T00:00:00.001Z',
      '2026-02-01T00:00:00.001Z',
    ]);
  });

  it('writes an empty HAR for a run without exchanges, none for a run that never started', async () => {
    const empty = memoryOutput();
    await runReporters([harReporter], memoryContext(empty)).end(hostileResult(), 0);
    expect((JSON.parse(empty.files.get(HAR_FILE) ?? '') as Har).log.entries).toEqual([]);

    const never = memoryOutput();
    await runReporters([harReporter], memoryContext(never)).abort();
    expect(never.files.has(HAR_FILE)).toBe(false);
  });

  it('leaves a well-formed HAR of what was sent when the run fails half-way', async () => {
    const out = memoryOutput();
    const run = runReporters([harReporter], memoryContext(out));
    run.emit(START);
    run.emit({ type: 'exchange', exchange: exchangeOf(1) });
    await run.abort();
    expect(out.closed.has(HAR_FILE)).toBe(true);
    expect((JSON.parse(out.files.get(HAR_FILE) ?? '') as Har).log.entries).toHaveLength(1);
  });
});
