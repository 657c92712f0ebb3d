import stringWidth from 'string-width';
import { describe, expect, it, vi } from 'vitest';
import { memoryContext, memoryOutput } from './__fixtures__/memory-output.js';
import { formatDuration, progressEnabled, progressLine, progressReporter, runningLabel } from './progress.js';
import type { ReporterEnvironment } from './types.js';

const env = (o: Partial<ReporterEnvironment> = {}): ReporterEnvironment => ({
  env: {},
  quiet: false,
  interactive: true,
  live: true,
  ...o,
});

/** A TTY-like stream that keeps what is drawn on it. */
function fakeTty(columns = 160): { stream: NodeJS.WriteStream; written: () => string } {
  let written = '';
  const stream = {
    isTTY: true,
    columns,
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

  it('draws attacks done, elapsed time, an estimate, requests and findings, and clears its line at run end', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const tty = fakeTty();
      const p = progressReporter.create(memoryContext(memoryOutput({ terminal: tty.stream })));
      await p.onRunStart?.({
        type: 'run-start',
        at: new Date().toISOString(),
        scenario: 's',
        seed: 1,
        keySalt: 'x',
        attacks: 4,
      });
      expect(tty.written()).toContain('0/4 attacks · 0s elapsed · ETA …');
      await p.onAttackStart?.({ type: 'attack-start', attack: 'concurrent-burst', endpoint: 'race' });
      vi.advanceTimersByTime(30_000);
      await p.onFinding?.({} as never);
      await p.onAttackEnd?.({} as never);
      vi.advanceTimersByTime(1_000);
      // One attack of four took 31 s: three more, about 93 s.
      expect(tty.written()).toContain('1/4 attacks · 31s elapsed · ETA ~1m33s');
      expect(tty.written()).toContain('1 finding · concurrent-burst @ race · 0 requests');
      const CLEAR_LINE = '\u001b[2K';
      await p.onRunEnd?.({} as never, 1);
      expect(tty.written().lastIndexOf(CLEAR_LINE)).toBeGreaterThan(tty.written().lastIndexOf('1 finding'));
      // Stopped: the clock no longer draws.
      const before = tty.written();
      vi.advanceTimersByTime(5_000);
      expect(tty.written()).toBe(before);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps its line to the terminal width and below what the terminal reporter prints', () => {
    const tty = fakeTty(80);
    const out = memoryOutput({ terminal: tty.stream });
    const ctx = memoryContext(out);
    const p = progressReporter.create(ctx);
    void p.onRunStart?.({ type: 'run-start', at: '', scenario: 's', seed: 1, keySalt: 'x', attacks: 336 });
    void p.onAttackStart?.({ type: 'attack-start', attack: 'x'.repeat(200), endpoint: 'race' });
    vi.useFakeTimers({ now: Date.now() + 1_000 });
    try {
      void p.onAttackEnd?.({} as never);
    } finally {
      vi.useRealTimers();
    }
    const drawn = tty
      .written()
      .split('\r')
      .filter((s) => s.startsWith(' █') || s.startsWith(' ░'));
    expect(drawn.length).toBeGreaterThan(0);
    // eslint-disable-next-line no-control-regex
    for (const line of drawn) expect(stringWidth(line.replace(/\u001b\[K$/, ''))).toBeLessThanOrEqual(79);
    // A finding printed meanwhile erases the line first, then the line comes back under it.
    ctx.live?.print('FINDING\n');
    const after = tty.written().slice(tty.written().lastIndexOf('\u001b[2K'));
    expect(out.printed.stdout).toBe('FINDING\n');
    expect(after.startsWith('\u001b[2K\r ░░░░░░░░░░ 1/336 attacks')).toBe(true);
    void p.onRunEnd?.({} as never, 0);
  });

  it('names what the lanes run: the oldest attack still running and how many more', () => {
    expect(runningLabel([])).toBe('');
    expect(runningLabel(['concurrent-burst @ race'])).toBe('concurrent-burst @ race');
    expect(runningLabel(['key-format @ a', 'payload-mismatch @ b', 'missing-key @ c'])).toBe('key-format @ a +2 more');
  });

  it('formats durations for people', () => {
    expect([formatDuration(0), formatDuration(42_400), formatDuration(185_000), formatDuration(3_725_000)]).toEqual([
      '0s',
      '42s',
      '3m05s',
      '1h02m',
    ]);
    expect(progressLine({ total: 2, done: 2, requests: 1, findings: 0, current: '', elapsedMs: 0 })).not.toContain(
      'ETA ~',
    );
  });

  it('draws nothing without a terminal to draw on', () => {
    const p = progressReporter.create(memoryContext(memoryOutput()));
    expect(p).toEqual({});
  });
});
