/**
 * B1 (race exposure) and B2 (arrival spread): the same bursts released by each sync mode against
 * the demo target in its own process. HTTP/1.1 modes hit the demo's HTTP/1.1 server, the
 * single-packet attack its h2c server; both share the store and ledger, so the flaw is one.
 *
 * The modes take turns burst by burst, so a machine that gets busier half-way (the bench host is
 * often shared) weighs on every mode alike. Each burst is followed by a ledger query through the
 * engine, as an audit's observer would make it: the release after it meets the target in the
 * state a real round does.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { HttpEngine } from '../src/http/engine.js';
import type { RequestSpec } from '../src/http/request-spec.js';
import type { ConcreteSyncMode } from '../src/http/sync/mode.js';
import { spreadStats } from '../src/http/sync/stats.js';
import { recordingEngine } from './recorder.js';
import type { TargetUrls } from './target.js';

export const MODES: readonly ConcreteSyncMode[] = ['none', 'barrier', 'last-byte', 'single-packet'];

export interface SyncPlan {
  b1Bursts: number;
  b1Size: number;
  b2Bursts: number;
  b2Sizes: readonly number[];
}

export interface ExposureResult {
  size: number;
  bursts: number;
  exposed: number;
  /** Requests that got no answer (transport errors), which would make a burst unfair. */
  unanswered: number;
}

export interface SpreadSummary {
  medianUs: number;
  sdUs: number;
  bestUs: number;
  meanUs: number;
  rangeUs: number;
  bursts: number;
  releaseMedianUs: number | undefined;
}

export interface SyncResults {
  b1: Record<string, ExposureResult>;
  b2: Record<string, Record<string, SpreadSummary>>;
  notes: string[];
}

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

async function ledgerCount(engine: HttpEngine, urls: TargetUrls, variant: string, key: string): Promise<number> {
  const ex = await engine.send(
    {
      method: 'GET',
      url: `${urls.h1}/${variant}/ledger?key=${encodeURIComponent(key)}`,
      headers: {},
      body: undefined,
      label: 'ledger',
      key: undefined,
      principal: 'default',
    },
    { attack: 'bench', endpoint: 'ledger' },
  );
  if (ex.response?.status !== 200) throw new Error(`ledger query failed: ${ex.error?.message ?? ex.response?.status}`);
  return (JSON.parse(ex.response.body) as { count: number }).count;
}

/** B1: how many bursts of `size` made the one-tick race write more than once, per mode. */
async function raceExposure(
  engine: HttpEngine,
  urls: TargetUrls,
  bursts: number,
  size: number,
): Promise<Record<string, ExposureResult>> {
  const out: Record<string, ExposureResult> = {};
  for (const mode of MODES) out[mode] = { size, bursts, exposed: 0, unanswered: 0 };
  for (let b = 0; b < bursts; b++) {
    for (const mode of MODES) {
      const tally = out[mode] as ExposureResult;
      const key = `b1-${mode}-${randomUUID()}`;
      const r = await engine.burst(
        burstSpecs(baseFor(urls, mode), 'race', key, size),
        { attack: 'bench', endpoint: 'b1' },
        { sync: mode },
      );
      tally.unanswered += r.exchanges.filter((x) => x.response === undefined).length;
      if ((await ledgerCount(engine, urls, 'race', key)) > 1) tally.exposed++;
    }
  }
  return out;
}

const us = (ms: number): number => Math.round(ms * 1000);

/** B2: server arrival spread (and client release spread) per mode and burst size. */
async function arrivalSpread(
  engine: HttpEngine,
  urls: TargetUrls,
  bursts: number,
  sizes: readonly number[],
  notes: string[],
): Promise<SyncResults['b2']> {
  const out: SyncResults['b2'] = {};
  for (const mode of MODES) out[mode] = {};
  for (const size of sizes) {
    const arrival = new Map<ConcreteSyncMode, number[]>(MODES.map((m) => [m, []]));
    const release = new Map<ConcreteSyncMode, number[]>(MODES.map((m) => [m, []]));
    const incomplete = new Map<ConcreteSyncMode, { count: number; first?: string }>(
      MODES.map((m) => [m, { count: 0 }]),
    );
    for (let b = 0; b < bursts; b++) {
      for (const mode of MODES) {
        const key = `b2-${mode}-${randomUUID()}`;
        const r = await engine.burst(
          burstSpecs(baseFor(urls, mode), 'correct', key, size),
          { attack: 'bench', endpoint: 'b2' },
          { sync: mode },
        );
        // Only complete bursts: a missing answer would shrink the spread and flatter the mode.
        const missing = r.exchanges.find((x) => x.serverArrivalNs === undefined);
        if (r.arrivalSpreadMs !== undefined && !missing) arrival.get(mode)?.push(r.arrivalSpreadMs);
        else {
          const inc = incomplete.get(mode) ?? { count: 0 };
          inc.count++;
          inc.first ??= missing?.error?.message ?? `status ${missing?.response?.status ?? 'none'} without arrival time`;
        }
        if (r.releaseSpreadMs !== undefined) release.get(mode)?.push(r.releaseSpreadMs);
        // The observer query an audit round makes, so the next release meets the same target state.
        await ledgerCount(engine, urls, 'correct', key);
      }
    }
    for (const mode of MODES) {
      const inc = incomplete.get(mode);
      if (inc && inc.count > 0) {
        notes.push(`B2 ${mode} ×${size}: ${inc.count} of ${bursts} bursts left out (${inc.first ?? 'unknown'})`);
      }
      const a = spreadStats(arrival.get(mode) ?? []);
      const rel = spreadStats(release.get(mode) ?? []);
      if (!a) {
        notes.push(`B2 ${mode} ×${size}: no complete burst reported arrival times`);
        continue;
      }
      (out[mode] as Record<string, SpreadSummary>)[String(size)] = {
        medianUs: us(a.median),
        sdUs: us(a.sd),
        bestUs: us(a.best),
        meanUs: us(a.mean),
        rangeUs: us(a.range),
        bursts: a.count,
        releaseMedianUs: rel ? us(rel.median) : undefined,
      };
    }
  }
  return out;
}

/** B1 then B2 against `urls`, with exchanges recorded to a scratch ndjson file like a real run. */
export async function syncBenchmarks(
  urls: TargetUrls,
  plan: SyncPlan,
  log: (line: string) => void,
): Promise<SyncResults> {
  const file = join(os.tmpdir(), `idem-bench-sync-${process.pid}.ndjson`);
  const rec = recordingEngine(file, { allowHosts: [new URL(urls.h1).hostname] });
  const notes: string[] = [];
  try {
    const b1 = await raceExposure(rec.engine, urls, plan.b1Bursts, plan.b1Size);
    for (const mode of MODES) log(`B1 ${mode}: ${b1[mode]?.exposed}/${plan.b1Bursts} bursts exposed the race`);
    const b2 = await arrivalSpread(rec.engine, urls, plan.b2Bursts, plan.b2Sizes, notes);
    for (const mode of MODES) {
      for (const size of plan.b2Sizes) log(`B2 ${mode} ×${size}: median ${b2[mode]?.[String(size)]?.medianUs} µs`);
    }
    return { b1, b2, notes };
  } finally {
    await rec.close();
    rmSync(file, { force: true });
  }
}
