/**
 * Staggered releases: each request of a burst may carry a release offset, in ms after the first
 * release (race-window's gaps between a request and its retry). Requests are grouped into waves by
 * offset; the first wave goes out exactly as a plain burst does, so a burst whose offsets are all 0
 * is the plain burst, and every later wave goes out in one loop of its own at its offset.
 *
 * Timing a wave: a timer until shortly before the mark, then event-loop turns (setImmediate) until
 * the clock reaches it. Timers alone land 1 ms late or more, too coarse for gaps of 1 or 2 ms; the
 * turns keep serving I/O, so a target in the same process is not starved while we wait, and each
 * turn is bounded by the wave's mark and the abort signal.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** The longest offset a burst may ask for: a gap is measured within one request's lifetime. */
export const MAX_RELEASE_OFFSET_MS = 60_000;
/** Below this much time to the mark, waiting continues in event-loop turns rather than a timer. */
const TIMER_SLACK_MS = 2;

export interface Wave {
  /** ms after the first wave's release. */
  offsetMs: number;
  /** Indexes into the burst's requests, in request order. */
  indexes: number[];
}

/**
 * The offsets as waves, earliest first. `offsets[i]` belongs to request i; missing, negative or
 * non-finite offsets are 0, and offsets beyond MAX_RELEASE_OFFSET_MS are cut to it. The first wave
 * is always at offset 0 (an empty one when every request asked for a later release): offsets are
 * relative to the burst's release, so the earliest request goes at once.
 */
export function releaseWaves(count: number, offsets: readonly number[] | undefined): Wave[] {
  const clean = Array.from({ length: count }, (_, i) => {
    const v = offsets?.[i];
    return v === undefined || !Number.isFinite(v) || v < 0 ? 0 : Math.min(v, MAX_RELEASE_OFFSET_MS);
  });
  const min = clean.length === 0 ? 0 : Math.min(...clean);
  const byOffset = new Map<number, number[]>();
  clean.forEach((v, i) => {
    const at = v - min;
    byOffset.set(at, [...(byOffset.get(at) ?? []), i]);
  });
  const waves = [...byOffset.entries()].sort(([a], [b]) => a - b).map(([offsetMs, indexes]) => ({ offsetMs, indexes }));
  return waves.length === 0 ? [{ offsetMs: 0, indexes: [] }] : waves;
}

/**
 * Resolves once `now()` reaches `mark` (true), or as soon as one of `signals` aborts (false).
 * Never waits longer than the mark requires, whatever happens meanwhile.
 */
export async function waitUntil(
  mark: number,
  now: () => number,
  signals: readonly (AbortSignal | undefined)[] = [],
): Promise<boolean> {
  const watched = signals.filter((s): s is AbortSignal => s !== undefined);
  const stopped = (): boolean => watched.some((s) => s.aborted);
  const coarse = mark - now() - TIMER_SLACK_MS;
  if (coarse > 0 && !stopped()) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const s of watched) s.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, coarse);
      for (const s of watched) s.addEventListener('abort', done, { once: true });
    });
  }
  while (!stopped() && now() < mark) await nextTurn();
  return !stopped();
}
