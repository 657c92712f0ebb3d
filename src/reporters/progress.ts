/**
 * Live progress on an interactive terminal: attacks done of planned, elapsed time and an estimate
 * of what is left, requests sent, findings so far and which attack runs. Off when stdout or
 * stderr is not a TTY, in CI, or with --quiet, so logs never fill with redraws. Drawn on the
 * run's shared terminal (live-terminal.ts), which the terminal reporter prints findings on.
 */
import type { LiveTerminal } from './live-terminal.js';
import type { ReporterDefinition, ReporterEnvironment } from './types.js';

export function progressEnabled(env: ReporterEnvironment): boolean {
  const ci = env.env['CI'];
  return env.live && !env.quiet && env.interactive && (ci === undefined || ci === '' || ci === 'false');
}

/** Redraws at most this often on events; the clock ticks the elapsed time between them. */
const REDRAW_MS = 100;
const TICK_MS = 1000;
const BAR = 10;

/** 42s, 3m05s, 1h02m. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export interface ProgressState {
  total: number;
  done: number;
  requests: number;
  findings: number;
  current: string;
  elapsedMs: number;
}

/**
 * The estimate assumes the attacks left take as long, on average, as those done: attacks differ
 * a lot (a TTL probe waits, a key-format check does not), so it is marked approximate and only
 * given once something has finished.
 */
export function progressLine(s: ProgressState): string {
  const ratio = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
  const filled = Math.round(ratio * BAR);
  const eta =
    s.done > 0 && s.done < s.total ? `ETA ~${formatDuration((s.elapsedMs / s.done) * (s.total - s.done))}` : 'ETA …';
  // Most telling first: a narrow terminal cuts the line from the end.
  return [
    ` ${'█'.repeat(filled)}${'░'.repeat(BAR - filled)} ${s.done}/${s.total} attacks`,
    `${formatDuration(s.elapsedMs)} elapsed`,
    eta,
    `${s.findings} finding${s.findings === 1 ? '' : 's'}`,
    s.current,
    `${s.requests} requests`,
  ]
    .filter((part) => part !== '')
    .join(' · ');
}

/** What runs now: one attack, or the oldest of those the parallel lanes run and how many more. */
export function runningLabel(running: readonly string[]): string {
  const [oldest] = running;
  if (oldest === undefined) return '';
  return running.length === 1 ? oldest : `${oldest} +${running.length - 1} more`;
}

function progress(live: LiveTerminal): ReturnType<ReporterDefinition['create']> {
  const state: ProgressState = { total: 0, done: 0, requests: 0, findings: 0, current: '', elapsedMs: 0 };
  // In start order; lanes finish in any order.
  const running: string[] = [];
  let startedAt = 0;
  let lastDraw = 0;
  let ticker: NodeJS.Timeout | undefined;
  const draw = (): void => {
    if (ticker === undefined) return;
    lastDraw = Date.now();
    state.elapsedMs = lastDraw - startedAt;
    live.status(progressLine(state));
  };
  const changed = (): void => {
    if (Date.now() - lastDraw >= REDRAW_MS) draw();
  };
  // The line is taken off before anything else is printed at the end.
  const stop = (): void => {
    if (ticker === undefined) return;
    clearInterval(ticker);
    ticker = undefined;
    live.status(undefined);
  };
  return {
    onRunStart(e) {
      stop();
      Object.assign(state, { total: e.attacks, done: 0, requests: 0, findings: 0, current: '' });
      running.length = 0;
      startedAt = Date.now();
      ticker = setInterval(draw, TICK_MS);
      // The clock alone must not keep a finished process alive.
      ticker.unref();
      draw();
    },
    onAttackStart(e) {
      running.push(`${e.attack} @ ${e.endpoint}`);
      state.current = runningLabel(running);
      changed();
    },
    onExchange() {
      state.requests++;
      changed();
    },
    onFinding() {
      state.findings++;
      draw();
    },
    onAttackEnd(r) {
      const at = running.indexOf(`${r.attack} @ ${r.endpoint}`);
      if (at >= 0) running.splice(at, 1);
      state.current = runningLabel(running);
      state.done++;
      changed();
    },
    onRunEnd: stop,
    onRunFailed: stop,
  };
}

export const progressReporter: ReporterDefinition = {
  meta: {
    id: 'progress',
    description: 'A live progress line on stderr (interactive terminal only, not in CI, not with --quiet).',
    destination: 'stderr',
    selectable: false,
    byDefault: true,
  },
  enabled: progressEnabled,
  create(ctx) {
    return ctx.live ? progress(ctx.live) : {};
  },
};
