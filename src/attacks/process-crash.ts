/**
 * process-crash (IK-28, IK-39): the partial-success trap. A request with a fresh key is sent, the
 * target process is killed while it is provably working on it (at the moment it calls its
 * downstream provider, the sink observer; without a sink, a set delay after sending), restarted
 * with the scenario's hooks, and the client retries with the same key, as it must. A second side
 * effect is a duplicate write (keys kept only in process memory, a write committed before the
 * key); a key still refused as in progress after the contract's `recoveryTime` is stuck (a
 * reservation nobody recovers); any other end of the retries is reported with its evidence.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import type { HookRun } from '../hooks/types.js';
import type { DownstreamControl } from '../observers/types.js';
import { hasStatus, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { hooksReady, notServing, retryUntilServed, step } from './_shared/hooks.js';
import { waitBudget } from './_shared/retry.js';
import { defineAttack, type AttackContext } from './types.js';

const options = z.strictObject({
  /**
   * When to crash: `downstream` the moment the target calls the sink for the key (needs a sink
   * observer), `delay` `crashAfterMs` after sending; `auto` picks downstream when there is a sink.
   */
  trigger: z.enum(['auto', 'downstream', 'delay']).default('auto'),
  /** With the delay trigger: ms after the request is sent before the crash hook runs. */
  crashAfterMs: z.number().int().min(0).max(60_000).default(50),
  /** How long after the restart (and ready) the target may take to answer again before nothing is judged. */
  readyWaitMs: z.number().int().min(0).max(600_000).default(30_000),
  /** Crashes, each on a fresh key; the first that shows a finding ends the attack. */
  rounds: z.number().int().min(1).max(5).default(1),
});
type Options = z.output<typeof options>;

const meta = {
  id: 'process-crash',
  title: 'The target dies mid-operation, then the client retries',
  description:
    'Kills the target process (the crash hook) while it works on a request, restarts it (restart, ready), and retries with the same key. The retry must get the original result or run exactly once; the key must not stay in progress past the contract’s recoveryTime.',
  sends:
    'a request with a fresh key, the `crash` hook the moment the target calls its provider (the `sink`; else after `crashAfterMs`), `restart` (and `ready`), then retries with the key (needs `--allow-hooks`)',
  finds: '`duplicate-write` (critical), `stuck-key` (high), `retry-broken` (medium)',
  options,
  timingDependent: true,
  notReplayable: 'its findings depend on killing and restarting the target in the middle of an operation',
  hooks: { required: ['crash', 'restart'], optional: ['ready'] },
  findings: {
    'duplicate-write': {
      severity: 'critical',
      title: 'A retry after the target crashed mid-operation executed again',
      remediation:
        'Keep keys in a store that outlives the process (shared by every instance), and commit the side effect together with the key’s completion (one transaction, or recovery points), so a retry after a restart replays or resumes instead of executing again.',
      references: ['IK-28', 'IK-10'],
    },
    'stuck-key': {
      severity: 'high',
      title: 'The key stays in progress after the process holding it died',
      remediation:
        'Recover reservations whose owner died within the documented time: a lock held by the executing transaction, a lease, or an in-progress expiry much shorter than the key’s TTL; or declare the real contract.recoveryTime.',
      references: ['IK-28', 'IK-39'],
    },
    'retry-broken': {
      severity: 'medium',
      title: 'A retry after the crash was neither a replay nor a clean execution',
      remediation:
        'After a restart, answer a retry with the stored result, run it once as new, or say the key is in progress (and recover it); never an error for a key whose request died, and never a success without the write.',
      references: ['IK-28'],
    },
  },
} as const;

export const processCrash = defineAttack({
  meta,
  async run(ctx) {
    if (!hooksReady(ctx, meta)) return;
    const downstream = pickTrigger(ctx);
    if (downstream === null) return;
    // The request must be one the target accepts, or an error after the restart would prove nothing.
    const baseline = await ctx.send(ctx.request({ label: 'baseline (before any crash)', key: ctx.newKey() }));
    if (!isSuccess(baseline)) {
      ctx.inconclusive(
        `the request was not accepted before any crash (${outcomeHistogram([baseline])}), so nothing could be judged; nothing was killed`,
      );
      return;
    }
    let judged = 0;
    for (let round = 1; round <= ctx.options.rounds; round++) {
      if (ctx.signal.aborted) return;
      const r = await crashRound(ctx, downstream, round);
      if (r === 'stop') return;
      if (r === 'finding') return;
      if (r === 'judged') judged += 1;
    }
    if (judged === 0) ctx.inconclusive('no round could be judged (see notes)');
  },
});

/** The sink to trigger on, undefined for the delay trigger, null when the options ask for what is not there. */
function pickTrigger(ctx: AttackContext<Options>): DownstreamControl | undefined | null {
  const t = ctx.options.trigger;
  if (t === 'delay') return undefined;
  if (ctx.downstream) return ctx.downstream;
  if (t === 'downstream') {
    ctx.inconclusive(
      'trigger: downstream needs a sink observer on the endpoint (the moment the target calls it is the crash moment)',
    );
    return null;
  }
  return undefined;
}

type RoundEnd = 'finding' | 'judged' | 'unjudged' | 'stop';

async function crashRound(
  ctx: AttackContext<Options>,
  downstream: DownstreamControl | undefined,
  round: number,
): Promise<RoundEnd> {
  const o = ctx.options;
  const key = ctx.newKey();
  const crashed = await sendAndCrash(ctx, downstream, key);
  if (crashed === undefined) return 'stop';
  const { first, moment } = crashed;
  if (first.response !== undefined) {
    ctx.note(
      `round ${round}: the first request was answered ${first.response.status} before the target was killed (${moment}); the retry still shows whether the key survived the restart`,
    );
  }
  if ((await step(ctx, 'restart')) === undefined) return 'stop';
  if (ctx.hooks.declared('ready') && (await step(ctx, 'ready')) === undefined) return 'stop';

  const recoveryMs = ctx.contract.recoveryMs;
  const keyWait = waitBudget(ctx, recoveryMs);
  const retries = await retryUntilServed(ctx, key, 'retry after restart', {
    targetWaitMs: o.readyWaitMs,
    keyWaitMs: keyWait,
  });
  const sent = [first, ...retries.exchanges];
  const last = retries.exchanges[retries.exchanges.length - 1];
  if (last?.response === undefined || notServing(last)) {
    ctx.note(
      `round ${round}: the target did not serve again within ${o.readyWaitMs} ms of its restart (${outcomeHistogram(retries.exchanges)}); not judged`,
    );
    return 'unjudged';
  }
  const effects = await countWrites(ctx, key);
  const story = `The target was killed ${moment} (key ${key}), restarted, and the client retried (answers: ${outcomeHistogram(sent)})`;
  if (effects.writes > 1) {
    ctx.report({
      kind: 'duplicate-write',
      message: `${story}: the operation was executed ${effects.writes} times. The key did not survive the restart, or the first write was committed without it.`,
      expected: '1 side effect',
      observed: `${effects.writes} side effects`,
      exchanges: sent,
      sideEffects: effects.verdict(1),
    });
    return 'finding';
  }
  if (hasStatus(last, ctx.contract.onInFlight)) {
    if (keyWait < recoveryMs) {
      ctx.note(
        `round ${round}: the key was still in progress (${last.response.status}) after ${retries.waitedForKey} ms, but the contract allows ${recoveryMs} ms and --max-wait stops at ${keyWait} ms; not judged`,
      );
      return 'unjudged';
    }
    ctx.report({
      kind: 'stuck-key',
      message: `${story}: the key was still refused as in progress (${last.response.status}) ${retries.waitedForKey} ms after the target answered again, past the contract's recoveryTime of ${recoveryMs} ms. The reservation of the request that died is never recovered.`,
      expected: `the stored result, or one execution, within ${recoveryMs} ms`,
      observed: `${last.response.status} after ${retries.waitedForKey} ms`,
      exchanges: sent,
    });
    return 'finding';
  }
  if (!isSuccess(last)) {
    ctx.report({
      kind: 'retry-broken',
      discriminator: 'refused',
      message: `${story}: the last retry was answered ${last.response.status}, neither the original result nor a new execution.`,
      expected: 'the stored result, or one execution',
      observed: `${last.response.status} (${effects.writes} side effect${effects.writes === 1 ? '' : 's'})`,
      exchanges: sent,
      sideEffects: effects.verdict(1),
    });
    return 'finding';
  }
  if (effects.writes === 0 && recordsCounted(effects.verdict(1).counts)) {
    ctx.report({
      kind: 'retry-broken',
      discriminator: 'no-write',
      message: `${story}: the retry was answered ${last.response.status}, but the target's records show no write for the key. A success was stored (or replayed) for an operation that never completed.`,
      expected: 'the success backed by one side effect',
      observed: `${last.response.status} and 0 side effects`,
      exchanges: sent,
      sideEffects: effects.verdict(1),
    });
    return 'finding';
  }
  return 'judged';
}

/** Some observer read the target's records (not only the answers), so "no write" is a fact, not a guess. */
function recordsCounted(counts: readonly { fromAnswers?: true }[]): boolean {
  return counts.some((c) => c.fromAnswers !== true);
}

/**
 * Sends the request and runs the crash hook at the trigger: the sink call for the key, else the
 * delay. Resolves with the first request's exchange (usually a reset) and how the crash was
 * timed, or undefined when the crash hook failed (the attack is then not audited).
 */
async function sendAndCrash(
  ctx: AttackContext<Options>,
  downstream: DownstreamControl | undefined,
  key: string,
): Promise<{ first: Exchange; moment: string } | undefined> {
  const spec = ctx.request({ label: 'first (target killed mid-operation)', key });
  let moment: string;
  let pending: Promise<Exchange>;
  if (downstream) {
    // Held, never answered: the target stays between "started" and "answered" until it dies.
    downstream.program(key, { fault: 'hang', times: 1 });
    const stop = new AbortController();
    const called = downstream.waitForCall(key, stop.signal);
    pending = ctx.send(spec);
    const first = await Promise.race([called.then(() => 'called' as const), pending.then(() => 'answered' as const)]);
    stop.abort();
    const done = first === 'answered' ? await pending : undefined;
    moment =
      first === 'called'
        ? 'while it waited on its provider (the sink held the call)'
        : `after the request ${done?.response ? 'was answered' : 'failed'} without the target calling its provider (the sink saw no call for the key)`;
  } else {
    pending = ctx.send(spec);
    await ctx.sleep(ctx.options.crashAfterMs);
    moment = `${ctx.options.crashAfterMs} ms after the request was sent`;
  }
  const crash: HookRun | undefined = await step(ctx, 'crash');
  const first = await pending;
  return crash === undefined ? undefined : { first, moment };
}
