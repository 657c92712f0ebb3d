/**
 * What every registered reporter writes for one fixed run (the hostile fixture: markup, control
 * characters and table pipes from the target), driven through the runner with an in-memory
 * output. Deterministic: fixed clock values, no colour, no absolute paths. Progress is left out:
 * it only draws on a TTY, throttled by wall-clock time (progress.test.ts covers it).
 */
import { describe, expect, it } from 'vitest';
import { hostileResult, hostileRunEvents } from './__fixtures__/hostile-result.js';
import { memoryContext, memoryOutput } from './__fixtures__/memory-output.js';
import { reporters } from './index.js';
import { runReporters } from './run-reporters.js';

/** Where each reporter's output goes: files by name, `stdout`, `$VAR` for an environment-named file. */
const CHANNELS: Record<string, string[]> = {
  events: ['events.ndjson'],
  github: ['$GITHUB_STEP_SUMMARY', 'stdout'],
  har: ['traffic.har'],
  html: ['report.html'],
  json: ['report.json'],
  junit: ['junit.xml'],
  markdown: ['summary.md'],
  progress: [],
  sarif: ['report.sarif'],
  terminal: ['stdout'],
};

const snapshotName = (id: string, channel: string): string =>
  channel === 'stdout' ? `${id}.stdout.txt` : channel.startsWith('$') ? `${id}.${channel.slice(1)}.md` : channel;

describe('reporter output on a fixed result', () => {
  it('covers every registered reporter', () => {
    expect(Object.keys(CHANNELS)).toEqual(Object.keys(reporters));
  });

  it.each(Object.keys(reporters).filter((id) => id !== 'progress'))('%s', async (id) => {
    const definition = reporters[id];
    if (!definition) throw new Error(`no reporter ${id}`);
    const out = memoryOutput({ env: { GITHUB_STEP_SUMMARY: 'step-summary.md' } });
    const run = runReporters([definition], memoryContext(out));
    for (const event of hostileRunEvents()) run.emit(event);
    await run.end(hostileResult(), 1);

    const received = new Map<string, string>([
      ...out.files,
      ...[...out.appended].map(([variable, text]): [string, string] => [`$${variable}`, text]),
    ]);
    if (out.printed.stdout) received.set('stdout', out.printed.stdout);
    if (out.printed.stderr) received.set('stderr', out.printed.stderr);
    expect([...received.keys()].sort()).toEqual(CHANNELS[id]);
    for (const [channel, text] of received)
      await expect(text).toMatchFileSnapshot(`__snapshots__/${snapshotName(id, channel)}`);
  });
});
