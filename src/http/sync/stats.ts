/**
 * Kettle's statistics over the spreads of many bursts (best, mean, SD, median, range), the
 * numbers his benchmark scripts print and the ones that tell whether a release was tight.
 */
export interface SpreadStats {
  /** Bursts that contributed a value. */
  count: number;
  best: number;
  worst: number;
  mean: number;
  /** Population standard deviation. */
  sd: number;
  median: number;
  /** worst - best. */
  range: number;
}

export function spreadStats(values: readonly number[]): SpreadStats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = sorted.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  const best = sorted[0] ?? 0;
  const worst = sorted[n - 1] ?? 0;
  return { count: n, best, worst, mean, sd: Math.sqrt(variance), median, range: worst - best };
}

export interface BurstTiming {
  sync?: string | undefined;
  releaseSpreadMs: number | undefined;
  arrivalSpreadMs: number | undefined;
}

export interface SyncModeStats {
  bursts: number;
  /** Client release spread (ms): when each request's final byte was written. */
  release: SpreadStats | undefined;
  /** Server arrival spread (ms), from bursts whose target reported arrival times. */
  arrival: SpreadStats | undefined;
}

/** Statistics per synchronisation mode over every burst of a run. */
export function burstStatsBySync(bursts: readonly BurstTiming[]): Record<string, SyncModeStats> {
  const groups = new Map<string, BurstTiming[]>();
  for (const b of bursts) {
    const mode = b.sync ?? 'unknown';
    groups.set(mode, [...(groups.get(mode) ?? []), b]);
  }
  const out: Record<string, SyncModeStats> = {};
  for (const [mode, list] of groups) {
    out[mode] = {
      bursts: list.length,
      release: spreadStats(list.flatMap((b) => (b.releaseSpreadMs === undefined ? [] : [b.releaseSpreadMs]))),
      arrival: spreadStats(list.flatMap((b) => (b.arrivalSpreadMs === undefined ? [] : [b.arrivalSpreadMs]))),
    };
  }
  return out;
}
