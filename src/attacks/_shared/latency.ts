/**
 * Latency summaries over an HDR histogram: values are recorded in microseconds (3 significant
 * digits), so percentiles keep sub-millisecond resolution without keeping every sample.
 */
import { build } from 'hdr-histogram-js';
import { OVERHEAD_PERCENTILES, type OverheadPercentile } from '../../scenario/types.js';

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

const PERCENTILE: Readonly<Record<Exclude<OverheadPercentile, 'max'>, number>> = { p50: 50, p95: 95, p99: 99 };

export class LatencyRecorder {
  readonly #histogram = build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
  #count = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    this.#histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  /** Percentiles in milliseconds, rounded to 0.01 ms. */
  summary(): LatencySummary {
    const h = this.#histogram;
    const ms = (us: number): number => Math.round(us / 10) / 100;
    const out: LatencySummary = { count: this.#count, p50: 0, p95: 0, p99: 0, max: ms(h.maxValue), mean: ms(h.mean) };
    for (const [name, p] of Object.entries(PERCENTILE) as [keyof typeof PERCENTILE, number][])
      out[name] = ms(h.getValueAtPercentile(p));
    return out;
  }

  destroy(): void {
    this.#histogram.destroy();
  }
}

/** `a − b` at each percentile, in ms. */
export function overheadOf(a: LatencySummary, b: LatencySummary): Record<OverheadPercentile, number> {
  const out = { p50: 0, p95: 0, p99: 0, max: 0 };
  for (const p of OVERHEAD_PERCENTILES) out[p] = Math.round((a[p] - b[p]) * 100) / 100;
  return out;
}
