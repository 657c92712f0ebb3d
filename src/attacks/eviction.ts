/**
 * eviction (IK-36): keys that do not survive load. An in-memory LRU cache with a size cap, or
 * Redis with maxmemory and an eviction policy, forgets keys long before their TTL once traffic is
 * high, and the client's retry then executes again. The attack plants a few keys (each replayed at
 * once, so a key the target does not deduplicate at all is not mistaken for an evicted one), sends
 * a bounded volume of ordinary traffic on fresh keys, then replays the planted keys: any that
 * executes again was evicted. Seconds pass, not hours, so the declared TTL cannot explain it.
 *
 * With the redis observer the server's own eviction counter (INFO stats `evicted_keys`) is read
 * before and after the traffic and reported beside the verdict.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import type { JsonValue } from '../scenario/types.js';
import { outcomeHistogram, plural } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack, type AttackContext, type SideEffects } from './types.js';

const options = z.strictObject({
  /** Keys planted before the traffic and replayed after it. */
  keys: z.number().int().min(1).max(100).default(5),
  /** Requests with fresh keys sent between planting and replaying (each one a real write). */
  requests: z.number().int().min(1).max(100_000).default(200),
  /** Of those, at most this many in flight at once. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** Requests per second of that traffic at most (the run's --rate applies too). */
  rate: z.number().positive().max(10_000).default(50),
});
type Options = z.output<typeof options>;

interface Planted {
  index: number;
  key: string;
  first: Exchange;
  replay: Exchange;
}

/** What the redis observer read about the server's evictions, from the last count that carried it. */
interface RedisEvictions {
  evictedKeys: number;
  maxmemory: number | undefined;
  policy: string | undefined;
}

function redisEvictions(effects: SideEffects): RedisEvictions | undefined {
  for (const c of effects.verdict(1).counts) {
    const evicted = c.facts?.['evictedKeys'];
    if (c.facts?.['store'] !== 'redis' || typeof evicted !== 'number') continue;
    const max = c.facts['maxmemory'];
    const policy = c.facts['maxmemoryPolicy'];
    return {
      evictedKeys: evicted,
      maxmemory: typeof max === 'number' ? max : undefined,
      policy: typeof policy === 'string' ? policy : undefined,
    };
  }
  return undefined;
}

function duration(ms: number): string {
  if (ms >= 3_600_000) return `${+(ms / 3_600_000).toFixed(2)} h`;
  if (ms >= 60_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * The traffic: `requests` sends on fresh keys from `concurrency` workers on a fixed schedule of at
 * most `rate` per second (a schedule, not a pause after each answer, so a slow target never raises
 * the rate). Every worker is awaited before an error (budget, interruption) is passed on.
 */
async function traffic(ctx: AttackContext<Options>): Promise<{ sent: Exchange[]; ms: number }> {
  const o = ctx.options;
  const interval = 1000 / o.rate;
  const start = performance.now();
  const sent: Exchange[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.requests && !ctx.signal.aborted) {
      const i = next++;
      const wait = start + i * interval - performance.now();
      if (wait > 0) await ctx.sleep(wait);
      if (ctx.signal.aborted) return;
      sent.push(await ctx.send(ctx.request({ label: `traffic[${i}]`, key: ctx.newKey() })));
    }
  };
  const outcomes = await Promise.allSettled(Array.from({ length: Math.min(o.concurrency, o.requests) }, worker));
  const failed = outcomes.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  return { sent, ms: performance.now() - start };
}

export const eviction = defineAttack({
  meta: {
    id: 'eviction',
    title: 'Keys survive a burst of other traffic',
    description:
      'Plants a few keys, sends a bounded volume of requests with fresh keys, then replays the planted keys. A store that evicts under pressure (an LRU cache with a size cap, Redis with maxmemory) forgets them long before their TTL, and the replay executes again.',
    sends:
      'a few planted keys (each replayed at once), `requests` requests with fresh keys at ≤ `rate` per second, then the planted keys again',
    finds:
      '`key-evicted` (high), with how many keys and after how much traffic; the Redis eviction counter when the redis observer can read it',
    options,
    timingDependent: false,
    notReplayable: 'its findings depend on the traffic sent between planting a key and replaying it',
    findings: {
      'key-evicted': {
        severity: 'high',
        title: 'Keys were evicted under load, long before their TTL',
        remediation:
          'Keep idempotency keys where nothing evicts them before their TTL: a table with a TTL column or a Redis (or keyspace) reserved for them with maxmemory-policy noeviction, or a cache sized for the peak rate × TTL; and alert on evictions.',
        references: ['IK-36'],
      },
    },
  },
  async run(ctx: AttackContext<Options>) {
    const o = ctx.options;
    const ttl = ctx.contract.ttlMs;
    const started = Date.now();

    const refused: Exchange[] = [];
    const accepted: { index: number; key: string; first: Exchange }[] = [];
    for (let index = 1; index <= o.keys; index++) {
      const key = ctx.newKey();
      const first = await ctx.send(ctx.request({ label: `planted[${index}]`, key }));
      if (isSuccess(first)) accepted.push({ index, key, first });
      else refused.push(first);
    }
    if (accepted.length === 0) {
      ctx.inconclusive(`no planted request was accepted (${outcomeHistogram(refused)}), so there is no key to keep`);
      return;
    }

    // A key the target does not deduplicate even right away says nothing about eviction.
    const planted: Planted[] = [];
    const dropped: string[] = [];
    let before: RedisEvictions | undefined;
    for (const a of accepted) {
      const replay = await ctx.send(ctx.request({ label: `planted[${a.index}] replay`, key: a.key }));
      const effects = await countWrites(ctx, a.key);
      before = redisEvictions(effects) ?? before;
      if (!isSuccess(replay)) dropped.push(`planted[${a.index}] replay answered ${outcomeHistogram([replay])}`);
      else if (effects.writes > 1)
        dropped.push(`planted[${a.index}] executed again on its immediate replay (${effects.writes} side effects)`);
      else planted.push({ ...a, replay });
    }
    if (dropped.length > 0) ctx.note(`not planted: ${dropped.join('; ')}`);
    if (planted.length === 0) {
      ctx.inconclusive(
        'no planted key was deduplicated on its immediate replay, so an eviction could not be told apart (see sequential-replay)',
      );
      return;
    }

    const { sent, ms } = await traffic(ctx);
    if (ctx.signal.aborted) return;
    const taken = sent.filter(isSuccess).length;
    const trafficText = `${taken} accepted request${taken === 1 ? '' : 's'} with fresh keys (of ${sent.length} sent, over ${duration(ms)})`;
    if (taken === 0) {
      ctx.inconclusive(
        `none of the ${sent.length} requests with fresh keys was accepted (${outcomeHistogram(sent)}), so no load was applied`,
      );
      return;
    }
    // A key older than the TTL may simply have expired.
    if (Date.now() - started >= ttl) {
      ctx.inconclusive(
        `the attack took ${duration(Date.now() - started)}, as long as the declared TTL (${duration(ttl)}): a forgotten key may have expired`,
      );
      return;
    }

    const evicted: { p: Planted; again: Exchange; effects: SideEffects }[] = [];
    let after: RedisEvictions | undefined;
    let unanswered = 0;
    for (const p of planted) {
      const again = await ctx.send(ctx.request({ label: `planted[${p.index}] after the traffic`, key: p.key }));
      if (again.response === undefined) {
        unanswered++;
        continue;
      }
      const effects = await countWrites(ctx, p.key);
      after = redisEvictions(effects) ?? after;
      if (effects.writes > 1) evicted.push({ p, again, effects });
    }
    const judged = planted.length - unanswered;

    const redisDelta =
      before !== undefined && after !== undefined ? Math.max(0, after.evictedKeys - before.evictedKeys) : undefined;
    const redisText =
      redisDelta === undefined
        ? ''
        : ` Redis evicted ${plural(redisDelta, 'key')} meanwhile (maxmemory ${after?.maxmemory === 0 ? 'unlimited' : `${after?.maxmemory ?? '?'} bytes`}, policy ${after?.policy ?? '?'}).`;
    ctx.metric('eviction', {
      planted: planted.length,
      judged,
      evicted: evicted.length,
      traffic: { sent: sent.length, accepted: taken, ms: Math.round(ms) },
      redis:
        redisDelta === undefined
          ? null
          : { evictedKeys: redisDelta, maxmemory: after?.maxmemory ?? null, maxmemoryPolicy: after?.policy ?? null },
    } satisfies Record<string, JsonValue>);
    if (unanswered > 0) ctx.note(`${plural(unanswered, 'planted key')} got no answer after the traffic; not judged`);
    if (judged === 0) {
      ctx.inconclusive('no planted key was answered after the traffic, so none could be judged');
      return;
    }

    const first = evicted[0];
    if (first === undefined) {
      ctx.note(`all ${plural(judged, 'planted key')} were still deduplicated after ${trafficText}.${redisText}`);
      return;
    }
    const v = first.effects.verdict(1);
    ctx.report({
      kind: 'key-evicted',
      message: `${evicted.length} of ${plural(judged, 'key')} planted before ${trafficText} executed again when replayed (key ${first.p.key}: ${v.observed} side effects), although the contract keeps keys for ${duration(ttl)}: the store evicted them under load.${redisText}`,
      expected: `keys remembered for ${duration(ttl)}, whatever the traffic`,
      observed: `${evicted.length} of ${judged} planted keys forgotten after ${taken} requests`,
      exchanges: [first.p.first, first.p.replay, first.again],
      sideEffects: v,
    });
  },
});
