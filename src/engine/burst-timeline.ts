/** Compacts a burst's exchanges into the per-request rows the HTML timeline draws. */
import { outcomeOf, type Exchange } from '../http/exchange.js';
import type { BurstTimelineRow } from '../result/result.js';

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export function burstTimeline(exchanges: readonly Exchange[]): BurstTimelineRow[] {
  if (exchanges.length === 0) return [];
  const origin = Math.min(...exchanges.map((e) => e.timings.queued));
  const arrivals = exchanges.flatMap((e) => (e.serverArrivalNs === undefined ? [] : [BigInt(e.serverArrivalNs)]));
  const first = arrivals.length > 0 ? arrivals.reduce((a, b) => (b < a ? b : a)) : undefined;
  return exchanges.map((e) => {
    const row: BurstTimelineRow = { label: e.label, outcome: outcomeOf(e) };
    if (e.timings.sent !== undefined) row.sent = round(e.timings.sent - origin);
    if (e.timings.headers !== undefined) row.headers = round(e.timings.headers - origin);
    if (e.timings.done !== undefined) row.done = round(e.timings.done - origin);
    if (first !== undefined && e.serverArrivalNs !== undefined)
      row.arrival = round(Number(BigInt(e.serverArrivalNs) - first) / 1e6);
    return row;
  });
}
