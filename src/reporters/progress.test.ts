import { describe, expect, it } from 'vitest';
import { memoryContext, memoryOutput } from './__fixtures__/memory-output.js';
import { progressEnabled, progressReporter } from './progress.js';
import type { ReporterEnvironment } from './types.js';

const env = (o: Partial<ReporterEnvironment> = {}): ReporterEnvironment => ({
  env: {},
  quiet: false,
  interactive: true,
  live: true,
  ...o,
});

/** A TTY-like stream that keeps what is drawn on it. */
function fakeTty(): { stream: NodeJS.WriteStream; written: () => string } {
  let written = '';
  const stream = {
    isTTY: true,
    columns: 160,
    write: (s: string) => {
      written += s;
      return true;
    },
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
    on: () => stream,
    removeListener: () => stream,
  } as unknown as NodeJS.WriteStream;
  return { stream, written: () => written };
}

describe('progress reporter', () => {
  it('is on only during a run on an interactive terminal, outside CI and without --quiet', () => {
    expect(progressEnabled(env())).toBe(true);
    expect(progressEnabled(env({ env: { CI: 'false' } }))).toBe(true);
    expect(progressEnabled(env({ env: { CI: '' } }))).toBe(true);
    expect(progressEnabled(env({ interactive: false }))).toBe(false);
    expect(progressEnabled(env({ env: { CI: 'true' } }))).toBe(false);
    expect(progressEnabled(env({ env: { CI: '1' } }))).toBe(false);
    expect(progressEnabled(env({ quiet: true }))).toBe(false);
    expect(progressEnabled(env({ live: false }))).toBe(false);
    expect([progressReporter.enabled?.(env()), progressReporter.enabled?.(env({ quiet: true }))]).toEqual([
      true,
      false,
    ]);
  });

  it('draws attack, requests and findings, and clears its line at run end', async () => {
    const tty = fakeTty();
    const p = progressReporter.create(memoryContext(memoryOutput({ terminal: tty.stream })));
    await p.onRunStart?.({
      type: 'run-start',
      at: new Date().toISOString(),
      scenario: 's',
      seed: 1,
      keySalt: 'x',
      attacks: 2,
    });
    await p.onAttackStart?.({ type: 'attack-start', attack: 'concurrent-burst', endpoint: 'race' });
    await p.onFinding?.({} as never);
    await p.onAttackEnd?.({} as never);
    const CLEAR_LINE = '\u001b[2K';
    expect(tty.written()).not.toContain(CLEAR_LINE);
    // Redraws are throttled; stopping draws the last state, then clears the line.
    await p.onRunEnd?.({} as never, 1);
    expect(tty.written()).toContain('concurrent-burst @ race');
    expect(tty.written()).toContain('1 findings');
    expect(tty.written().lastIndexOf(CLEAR_LINE)).toBeGreaterThan(tty.written().lastIndexOf('1 findings'));
  });

  it('draws nothing without a terminal to draw on', () => {
    const p = progressReporter.create(memoryContext(memoryOutput()));
    expect(p).toEqual({});
  });
});
