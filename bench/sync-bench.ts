/**
 * B1 (race exposure) and B2 (arrival spread): the same bursts released by each sync mode against
 * the demo target in its own process. HTTP/1.1 modes hit the demo's HTTP/1.1 server, the
 * single-packet attack its h2c server; both share the store and ledger, so the flaw is one.
 */
import { randomUUID } from 'node:crypto';
import type { HttpEngine } from '../src/http/engine.js';
import type { RequestSpec } from '../src/http/request-spec.js';
import type { ConcreteSyncMode } from '../src/http/sync/mode.js';
import { spreadStats, type SpreadStats } from '../src/http/sync/stats.js';
import type { TargetUrls } from './target.js';

export const MODES: readonly ConcreteSyncMode[] = ['none', 'barrier', 'last-byte', 'single-packet'];

function burstSpecs(base: string, variant: string, key: string, n: number): RequestSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    method: 'POST',
    url: `${base}/${variant}/payments`,
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ amount: 1000, currency: 'usd', customer: 'cus_42' }),
    label: `burst[${i}]`,
    key,
    principal: 'default',
  }));
}

const baseFor = (urls: TargetUrls, mode: ConcreteSyncMode): string => (mode === 'single-packet' ? urls.h2c : urls.h1);

async function ledgerCount(urls: TargetUrls, variant: string, key: string): Promise<number> {
  const res = await fetch(`${urls.h1}/${variant}/ledger?key=${encodeURIComponent(key)}`);
  return ((await res.json()) as { count: number }).count;
}

export interface ExposureResult {
  bursts: number;
  exposed: number;
  /** Requests that got no answer (transport errors), which would make a burst unfair. */
  unanswered: number;
}

/** B1: share of bursts of `size` in which the one-tick race wrote more than once. */
export async function raceExposure(
  engine: HttpEngine,
  urls: TargetUrls,
  mode: ConcreteSyncMode,
  bursts: number,
  size: number,
): Promise<ExposureResult> {
  let exposed = 0;
  let unanswered = 0;
  for (let b = 0; b < bursts; b++) {
    const key = `b1-${mode}-${randomUUID()}`;
    const r = await engine.burst(
      burstSpecs(baseFor(urls, mode), 'race', key, size),
      { attack: 'bench', endpoint: 'b1' },
      { sync: mode },
    );
    unanswered += r.exchanges.filter((x) => x.response === undefined).length;
    if ((await ledgerCount(urls, 'race', key)) > 1) exposed++;
  }
  return { bursts, exposed, unanswered };
}

export interface SpreadResult {
  arrival: SpreadStats | undefined;
  release: SpreadStats | undefined;
  /** Bursts left out because some request got no answer with an arrival time, and why. */
  incomplete: number;
  firstProblem: string | undefined;
}

/** B2: server arrival spread (and client release spread) over `bursts` bursts of `size`. */
export async function arrivalSpread(
  engine: HttpEngine,
  urls: TargetUrls,
  mode: ConcreteSyncMode,
  bursts: number,
  size: number,
): Promise<SpreadResult> {
  const arrival: number[] = [];
  const release: number[] = [];
  let incomplete = 0;
  let firstProblem: string | undefined;
  for (let b = 0; b < bursts; b++) {
    const key = `b2-${mode}-${randomUUID()}`;
    const r = await engine.burst(
      burstSpecs(baseFor(urls, mode), 'correct', key, size),
      { attack: 'bench', endpoint: 'b2' },
      { sync: mode },
    );
    // Only complete bursts: a missing answer would shrink the spread and flatter the mode.
    const missing = r.exchanges.find((x) => x.serverArrivalNs === undefined);
    if (r.arrivalSpreadMs !== undefined && !missing) arrival.push(r.arrivalSpreadMs);
    else {
      incomplete++;
      firstProblem ??= missing?.error?.message ?? `status ${missing?.response?.status ?? 'none'} without arrival time`;
    }
    if (r.releaseSpreadMs !== undefined) release.push(r.releaseSpreadMs);
  }
  return { arrival: spreadStats(arrival), release: spreadStats(release), incomplete, firstProblem };
}
