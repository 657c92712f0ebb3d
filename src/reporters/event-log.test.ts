import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../result/events.js';
import { hostileResult, hostileRunEvents } from './__fixtures__/hostile-result.js';
import { memoryContext, memoryOutput } from './__fixtures__/memory-output.js';
import { EVENT_LOG_FILE, eventLogReporter } from './event-log.js';
import { runReporters } from './run-reporters.js';

describe('events.ndjson', () => {
  it('writes every event out as it happens, one JSON line each, in order', async () => {
    const out = memoryOutput();
    const run = runReporters([eventLogReporter], memoryContext(out));
    // Opened before the first event: a run that fails at once still leaves its log.
    expect(out.files.get(EVENT_LOG_FILE)).toBe('');
    const events = hostileRunEvents();
    const during = events.slice(0, -1);
    for (const [i, event] of during.entries()) {
      run.emit(event);
      expect(out.writes.get(EVENT_LOG_FILE)).toHaveLength(i + 1);
      expect(out.writes.get(EVENT_LOG_FILE)?.at(-1)).toBe(`${JSON.stringify(event)}\n`);
    }
    // The engine's own run-end event carries nothing the result does not: the line comes with the result.
    run.emit(events.at(-1) as RunEvent);
    expect(out.writes.get(EVENT_LOG_FILE)).toHaveLength(during.length);
    await run.end(hostileResult(), 1);
    expect(out.closed.has(EVENT_LOG_FILE)).toBe(true);
    const lines = (out.files.get(EVENT_LOG_FILE) ?? '').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as RunEvent)).toEqual(events);
  });

  it('closes the log when the run fails without a result', async () => {
    const out = memoryOutput();
    const run = runReporters([eventLogReporter], memoryContext(out));
    await run.abort();
    expect(out.closed.has(EVENT_LOG_FILE)).toBe(true);
  });

  it('is written for runs, not for merges', () => {
    const env = { env: {}, quiet: true, interactive: false };
    expect(eventLogReporter.enabled?.({ ...env, live: true })).toBe(true);
    expect(eventLogReporter.enabled?.({ ...env, live: false })).toBe(false);
  });
});
