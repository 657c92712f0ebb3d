/**
 * ttl-probe (IK-36..38): replays after growing delays up to the TTL the contract declares. A
 * target that forgets the key before then executes a retry it promised to deduplicate. The
 * schedule is geometric (the early replays locate a short window cheaply) and its last replay
 * lands just inside the declared TTL; the whole wait is bounded by --max-wait.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack } from './types.js';

const DEFAULT_MAX_WAIT_MS = 60_000;

const options = z.strictObject({
  /** Delay of the first replay after the original answered; each next one doubles it. */
  firstDelayMs: z.number().int().min(10).max(3_600_000).default(250),
  /** The last replay's position, as a fraction of the declared TTL (a margin for clocks and latency). */
  lastAt: z.number().min(0.5).max(0.99).default(0.9),
  /** Used when the run sets no --max-wait. */
  maxWaitMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 3_600_000)
    .default(DEFAULT_MAX_WAIT_MS),
});

/** Delays (ms after the original's answer) at which to replay: geometric, ending just inside the TTL. */
export function ttlSchedule(ttlMs: number, firstDelayMs: number, lastAt: number): number[] {
  const last = Math.floor(ttlMs * lastAt);
  const out: number[] = [];
  for (let d = firstDelayMs; d < last; d *= 2) out.push(d);
  out.push(last);
  return out;
}

export const ttlProbe = defineAttack({
  meta: {
    id: 'ttl-probe',
    title: 'Keys are remembered for the declared TTL',
    description:
      'Replays the request after growing delays up to the contract’s ttl. A retry within the TTL must be deduplicated; the report gives the measured retention window.',
    sends:
      'replays after doubling delays up to the declared `ttl` (bounded by `--max-wait`, default 60 s; skipped with a note beyond)',
    finds: '`ttl-too-short` (high), with the measured retention window',
    options,
    timingDependent: false,
    expectedCost: (o, env) => {
      const waits = ttlSchedule(env.contract.ttlMs, o.firstDelayMs, o.lastAt);
      const total = waits[waits.length - 1] ?? 0;
      // Beyond the allowed wait it skips at once.
      return total > (env.maxWaitMs ?? o.maxWaitMs) ? { requests: 0 } : { requests: 2 * waits.length, waitMs: total };
    },
    notReplayable: 'its findings depend on waiting between the requests for the key to age',
    findings: {
      'ttl-too-short': {
        severity: 'high',
        title: 'The key was forgotten before the declared TTL',
        remediation:
          'Keep keys (and their stored responses) at least as long as documented, and make sure eviction (cache size, Redis maxmemory, cleanup jobs) cannot drop them earlier; or document the real TTL.',
        references: ['IK-36', 'IK-37', 'IK-38'],
      },
    },
  },
  async run(ctx) {
    const o = ctx.options;
    const ttl = ctx.contract.ttlMs;
    const maxWait = ctx.maxWaitMs ?? o.maxWaitMs;
    const schedule = ttlSchedule(ttl, o.firstDelayMs, o.lastAt);
    const total = schedule[schedule.length - 1] ?? 0;
    if (total > maxWait) {
      ctx.skip(
        `the declared TTL (${seconds(ttl)}) needs about ${seconds(total)} of waiting, more than the allowed ${seconds(maxWait)}; raise --max-wait to probe it`,
      );
      return;
    }
    const key = ctx.newKey();
    const first = await ctx.send(ctx.request({ label: 'first', key }));
    if (!isSuccess(first)) {
      ctx.inconclusive(`the first request was not accepted (${outcomeHistogram([first])}), so there is no key to keep`);
      return;
    }
    const start = Date.now();
    const sent: Exchange[] = [first];
    let remembered = 0;
    for (const delay of schedule) {
      await ctx.sleep(Math.max(0, start + delay - Date.now()));
      if (ctx.signal.aborted) return;
      const replay = await ctx.send(ctx.request({ label: `replay after ${seconds(delay)}`, key }));
      sent.push(replay);
      if (replay.response === undefined) {
        ctx.note(`replay after ${seconds(delay)} got no answer (${outcomeHistogram([replay])}); not judged`);
        continue;
      }
      const effects = await countWrites(ctx, key);
      if (effects.writes > 1) {
        ctx.report({
          kind: 'ttl-too-short',
          message: `The key ${key} was deduplicated ${remembered > 0 ? `${seconds(remembered)} after the first answer` : 'at no replay'}, but a replay ${seconds(delay)} after it executed again (${effects.writes} side effects), although the contract promises ${seconds(ttl)}. Measured retention: ${remembered > 0 ? `between ${seconds(remembered)} and ${seconds(delay)}` : `under ${seconds(delay)}`}.`,
          expected: `deduplicated for ${seconds(ttl)}`,
          observed: `forgotten within ${seconds(delay)}`,
          exchanges: sent,
          sideEffects: effects.verdict(1),
        });
        return;
      }
      // Only a successful replay shows the key was remembered; an error says nothing about retention.
      if (isSuccess(replay)) remembered = delay;
      else
        ctx.note(
          `replay after ${seconds(delay)} was answered ${outcomeHistogram([replay])}; not counted as remembered`,
        );
    }
    if (remembered > 0) ctx.note(`the key was still deduplicated ${seconds(remembered)} after the first answer`);
    else ctx.inconclusive('no replay was answered successfully, so retention could not be measured');
  },
});

function seconds(ms: number): string {
  return ms >= 3_600_000
    ? `${+(ms / 3_600_000).toFixed(2)} h`
    : ms >= 1000
      ? `${+(ms / 1000).toFixed(2)} s`
      : `${ms} ms`;
}
