/**
 * latency-overhead: what the idempotency layer costs. Measures first-time keyed requests,
 * replays of them, and (where the endpoint accepts them) unkeyed requests, interleaved round by
 * round at a bounded rate so the three classes see the same load, and reports p50/p95/p99/max
 * per class and the overhead the key adds. A `maxOverhead` in the contract turns an excess into
 * a finding. Not in the default suite: it sends 3 × samples requests, and every first-time and
 * unkeyed request is a real write on the target.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { SEVERITIES } from '../scenario/severity.js';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { OVERHEAD_PERCENTILES, type JsonValue } from '../scenario/types.js';
import { LatencyRecorder, overheadOf, type LatencySummary } from './_shared/latency.js';
import { outcomeHistogram } from './_shared/describe.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** Rounds measured; each round sends one request of every class. */
  samples: z.number().int().min(10).max(10_000).default(200),
  /** Requests per second at most, across all classes. */
  rate: z.number().positive().max(10_000).default(50),
  /** Rounds sent first and not measured (connection setup, JIT, cold caches). */
  warmup: z.number().int().min(0).max(1000).default(5),
  /** Measure unkeyed requests as the baseline (they execute unguarded writes on the target). */
  unkeyed: z.boolean().default(true),
  /** Severity of an exceeded `maxOverhead`. */
  severity: z.enum(SEVERITIES).default('low'),
});

type ClassName = 'first' | 'replay' | 'unkeyed';
const CLASSES: readonly ClassName[] = ['first', 'replay', 'unkeyed'];

/** Fewer answered samples than this in a class and its percentiles say nothing. */
function enough(count: number, samples: number): boolean {
  return count >= Math.max(5, Math.ceil(samples / 2));
}

function latencyOf(ex: Exchange): number | undefined {
  const { sent, done } = ex.timings;
  return sent === undefined || done === undefined ? undefined : done - sent;
}

export const latencyOverhead = defineAttack({
  meta: {
    id: 'latency-overhead',
    title: 'The latency the idempotency key adds',
    description:
      'Measures first-time keyed requests, their replays and unkeyed requests (where accepted) with HDR histograms, interleaved at a bounded rate, and reports p50/p95/p99/max per class and the overhead of the key. With contract.maxOverhead, an overhead above the limit is a finding.',
    sends:
      'first-time keyed requests, their replays and unkeyed requests, interleaved at a bounded rate; p50/p95/p99/max per class from HDR histograms',
    finds:
      '`overhead-exceeded` (low; only above `contract.maxOverhead`, e.g. `{ p99: 20ms }`), otherwise the figures alone',
    options,
    timingDependent: true,
    expectedCost: (o) => ({ requests: 0, waitMs: ((o.warmup + o.samples) * 3 * 1000) / o.rate }),
    notReplayable: 'its findings are statistics over many timed requests',
    findings: {
      'overhead-exceeded': {
        severity: 'low',
        title: 'The idempotency layer adds more latency than the contract allows',
        remediation:
          'Make the key lookup a single indexed round trip (SET NX / INSERT … ON CONFLICT on a primary key), keep the store close to the service, and avoid holding a lock across the whole request where a reservation suffices.',
        references: [],
      },
    },
  },
  async run(ctx) {
    const o = ctx.options;
    const interval = 1000 / o.rate;
    let next = performance.now();
    // A fixed schedule, not sleep-after-answer: the rate stays bounded however slow the target is.
    // Each measured request has the target to itself (other lanes' requests drained and held back),
    // so every class is timed on an otherwise idle target, as in a serial run; between them the
    // other lanes go on.
    const paced = async (spec: Parameters<typeof ctx.send>[0]): Promise<Exchange> => {
      const wait = next - performance.now();
      if (wait > 0) await ctx.sleep(wait);
      next = Math.max(next + interval, performance.now());
      return ctx.exclusive(() => ctx.send(spec));
    };

    // `unkeyed: false` means no unguarded write at all, not even the probe.
    const probe = o.unkeyed ? await paced(ctx.request({ label: 'unkeyed-probe', key: undefined })) : undefined;
    const unkeyed = probe !== undefined && isSuccess(probe);
    if (probe !== undefined && !unkeyed)
      ctx.note(`unkeyed requests are not accepted (${outcomeHistogram([probe])}), so no baseline without a key`);

    const recorders = new Map(CLASSES.map((c) => [c, new LatencyRecorder()]));
    const refused = new Map<ClassName, Exchange[]>(CLASSES.map((c) => [c, []]));
    const slowest = new Map<ClassName, Exchange[]>(CLASSES.map((c) => [c, []]));
    const measure = (c: ClassName, ex: Exchange, recordIt: boolean): void => {
      const ms = latencyOf(ex);
      if (!isSuccess(ex) || ms === undefined) {
        if (recordIt) refused.get(c)?.push(ex);
        return;
      }
      if (!recordIt) return;
      recorders.get(c)?.record(ms);
      const top = slowest.get(c) ?? [];
      top.push(ex);
      top.sort((a, b) => (latencyOf(b) ?? 0) - (latencyOf(a) ?? 0));
      top.length = Math.min(top.length, 3);
      slowest.set(c, top);
    };
    try {
      for (let round = 0; round < o.warmup + o.samples; round++) {
        if (ctx.signal.aborted) return;
        const recordIt = round >= o.warmup;
        const i = round - o.warmup;
        const tag = recordIt ? `[${i}]` : `warmup[${round}]`;
        const key = ctx.newKey();
        const first = await paced(ctx.request({ label: `first${tag}`, key }));
        measure('first', first, recordIt);
        // A replay is only a replay once the first request was stored.
        if (isSuccess(first)) measure('replay', await paced(ctx.request({ label: `replay${tag}`, key })), recordIt);
        if (unkeyed) measure('unkeyed', await paced(ctx.request({ label: `unkeyed${tag}`, key: undefined })), recordIt);
      }

      const summaries: Partial<Record<ClassName, LatencySummary>> = {};
      for (const c of CLASSES) {
        const r = recorders.get(c);
        if (r && enough(r.count, o.samples)) summaries[c] = r.summary();
      }
      const first = summaries.first;
      if (first === undefined) {
        ctx.inconclusive(
          `too few first-time keyed requests were accepted (${recorders.get('first')?.count ?? 0} of ${o.samples}; refused: ${outcomeHistogram(refused.get('first') ?? []) || 'none'})`,
        );
        return;
      }
      const baseline = summaries.unkeyed;
      const overhead = baseline === undefined ? undefined : overheadOf(first, baseline);
      const metrics: Record<string, JsonValue> = { unit: 'ms', samples: o.samples, rate: o.rate };
      for (const c of CLASSES) {
        const s = summaries[c];
        if (s) metrics[c] = { ...s };
      }
      if (overhead) metrics['overhead'] = { ...overhead };
      if (ctx.contract.maxOverhead) metrics['limit'] = { ...ctx.contract.maxOverhead };
      ctx.metric('latency', metrics);
      ctx.note(
        `p50/p99 ms: first ${first.p50}/${first.p99}` +
          (summaries.replay ? `, replay ${summaries.replay.p50}/${summaries.replay.p99}` : '') +
          (baseline ? `, unkeyed ${baseline.p50}/${baseline.p99}` : '') +
          (overhead ? `; key overhead ${overhead.p50}/${overhead.p99}` : ''),
      );

      const limits = ctx.contract.maxOverhead;
      if (limits === undefined) return;
      if (overhead === undefined) {
        ctx.inconclusive(
          'contract.maxOverhead is set but no unkeyed baseline could be measured (the endpoint refuses requests without a key, or unkeyed: false)',
        );
        return;
      }
      const exceeded = OVERHEAD_PERCENTILES.filter((p) => {
        const limit = limits[p];
        return limit !== undefined && overhead[p] > limit;
      });
      if (exceeded.length === 0) return;
      const describe = (ps: typeof exceeded, pick: (p: (typeof exceeded)[number]) => number | undefined): string =>
        ps.map((p) => `${p} ${pick(p)} ms`).join(', ');
      ctx.report({
        kind: 'overhead-exceeded',
        severity: o.severity,
        message: `Over ${o.samples} interleaved rounds at ≤ ${o.rate} req/s, first-time keyed requests took ${describe(exceeded, (p) => first[p])} against ${describe(exceeded, (p) => baseline?.[p])} without a key: the key adds ${describe(exceeded, (p) => overhead[p])}.`,
        expected: `key overhead at most ${describe(exceeded, (p) => limits[p])}`,
        observed: `key overhead ${describe(exceeded, (p) => overhead[p])}`,
        exchanges: [...(slowest.get('first') ?? []), ...(slowest.get('unkeyed') ?? [])],
      });
    } finally {
      for (const r of recorders.values()) r.destroy();
    }
  },
});
