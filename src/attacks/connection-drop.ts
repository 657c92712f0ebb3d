/**
 * connection-drop: the connection dies while the request is being sent (a reset half-way through
 * the body) or right after it (a reset before any answer could come back), then the client
 * retries with the same key. Half a request must have no effect at all, and the request plus its
 * retry must have exactly one, whichever way the target treated the torn connection.
 */
import { z } from 'zod';
import { isSuccess, outcomeOf } from '../http/exchange.js';
import type { ClientFault } from '../http/faults.js';
import { outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { retryUntilSettled, waitBudget } from './_shared/retry.js';
import { defineAttack, type AttackContext, type SideEffects } from './types.js';

/**
 * A torn request's effect lands when the target has processed it, which takes about as long as a
 * normal request: the attack waits this many times a baseline request's duration before counting.
 */
const SETTLE_FACTOR = 3;

const options = z.strictObject({
  /**
   * Shortest time the target gets to act on a torn request before its effects are counted; the
   * attack waits longer when a baseline request shows the target is slower (3x its duration).
   */
  settleMs: z.number().int().min(0).max(60_000).default(50),
  /** How long a retry answered with an in-flight status keeps being retried; also the longest settle time. */
  maxWaitMs: z.number().int().min(0).max(600_000).default(5_000),
  /**
   * Attempts at a reset right after the body that the target acts on (fresh key each). Whether the
   * target read the body before the reset is a race; a torn request it dropped tests nothing, so
   * the next attempt runs, and the last one is judged whatever happened.
   */
  rounds: z.number().int().min(1).max(10).default(3),
});
type Options = z.output<typeof options>;

export const connectionDrop = defineAttack({
  meta: {
    id: 'connection-drop',
    title: 'The connection drops mid-body or right after the body, then the client retries',
    description:
      'Resets the connection half-way through the request body, and (on another key) right after the complete body, then retries with the same key. No effect from an incomplete request; one effect in total.',
    sends: 'the connection reset half-way through the body and (another key) right after it, then a retry',
    finds: '`incomplete-executed` (high), `duplicate-write` (critical)',
    options,
    timingDependent: true,
    expectedCost: (o) => ({ requests: 4 + 3 * o.rounds, waitMs: 6 * o.settleMs * (1 + o.rounds) }),
    notReplayable:
      'its findings depend on connections reset half-way through the request, which resending the requests does not do',
    findings: {
      'incomplete-executed': {
        severity: 'high',
        title: 'A request whose body never arrived completely was executed',
        remediation:
          'Read and validate the whole body before reserving the key or executing; treat a connection error while reading as "no request".',
        references: ['IK-14'],
      },
      'duplicate-write': {
        severity: 'critical',
        title: 'A torn request and its retry executed twice',
        remediation:
          'Reserve the key atomically before executing and keep the reservation when the client disconnects, so the retry sees it (in-flight status) or the stored result.',
        references: ['IK-28'],
      },
    },
  },
  async run(ctx) {
    const settleMs = await settleTime(ctx);
    let judged = 0;
    if (ctx.endpoint.request.body === undefined) ctx.note('the endpoint sends no body, so there is no middle to cut');
    else if ((await probe(ctx, settleMs, { kind: 'reset-mid-body' })) === 'judged') judged++;
    for (let round = 1; round <= ctx.options.rounds; round++) {
      const outcome = await probe(ctx, settleMs, { kind: 'reset-after-body' }, round === ctx.options.rounds);
      if (outcome === 'dropped') continue;
      if (outcome === 'judged') judged++;
      break;
    }
    if (judged === 0) ctx.inconclusive('no retry was answered, so nothing could be judged (see notes)');
  },
});

/**
 * How long a torn request gets before its effects are counted: SETTLE_FACTOR times what a complete
 * request with its answer takes (a baseline on its own key), at least `settleMs`, at most the
 * run's wait budget and the request timeout. Without a successful baseline the bound itself is
 * used, so a slow target is never taken for one that dropped the request.
 */
async function settleTime(ctx: AttackContext<Options>): Promise<number> {
  const bound = Math.max(
    ctx.options.settleMs,
    Math.min(waitBudget(ctx, ctx.options.maxWaitMs), ctx.scenario.target.timeoutMs),
  );
  const baseline = await ctx.send(ctx.request({ label: 'baseline', key: ctx.newKey() }));
  const { sent, done } = baseline.timings;
  let settle: number;
  if (!isSuccess(baseline) || sent === undefined || done === undefined) {
    // A refusal or an error may be far quicker than the work a torn request sets off.
    settle = bound;
    ctx.note(`the baseline request was answered ${outcomeOf(baseline)}, so torn requests get ${settle} ms to act`);
  } else {
    settle = Math.min(bound, Math.max(ctx.options.settleMs, Math.ceil((done - sent) * SETTLE_FACTOR)));
  }
  ctx.metric('settleMs', settle);
  return settle;
}

/**
 * Writes for `key` once the target has had `settleMs` to act; counted again after as long once
 * more when none showed yet, so a target still busy with the request is not taken for one that
 * did nothing.
 */
async function settledWrites(ctx: AttackContext<Options>, key: string, settleMs: number): Promise<SideEffects> {
  await ctx.sleep(settleMs);
  const first = await countWrites(ctx, key);
  if (first.writes > 0) return first;
  await ctx.sleep(settleMs);
  return countWrites(ctx, key);
}

/**
 * One torn request and its retry. `dropped`: the target never acted on the torn request, so its
 * retry could only be a first execution; the caller tries again unless this was the last attempt.
 */
async function probe(
  ctx: AttackContext<Options>,
  settleMs: number,
  fault: ClientFault,
  last = true,
): Promise<'judged' | 'unjudged' | 'dropped'> {
  const key = ctx.newKey();
  const torn = await ctx.sendWithFault(ctx.request({ label: `torn (${fault.kind})`, key }), fault);
  if (!torn.fault.applied) {
    ctx.note(`${fault.kind}: not applied (${torn.fault.description})`);
    return 'unjudged';
  }
  // Every attempt waits, the last one too: a retry sent while the torn request is still being
  // processed tests the in-flight handling, not what the target made of the dropped connection.
  const before = await settledWrites(ctx, key, settleMs);
  if (fault.kind === 'reset-mid-body') {
    if (before.writes > 0) {
      ctx.report({
        kind: 'incomplete-executed',
        message: `The connection was reset after ${torn.fault.bytesWritten} of ${torn.fault.totalBytes} bytes of the request with key ${key}, yet ${before.writes} side effect(s) exist for it.`,
        expected: 'no side effect',
        observed: `${before.writes} side effect(s)`,
        exchanges: [torn.exchange],
        sideEffects: before.verdict(0),
      });
      return 'judged';
    }
  } else if (before.writes === 0) {
    ctx.note(
      `${fault.kind}: the target dropped the torn request (no effect for key ${key} after ${2 * settleMs} ms)${last ? '' : '; tried again'}`,
    );
    if (!last) return 'dropped';
  }
  const retries = await retryUntilSettled(ctx, key, `retry after ${fault.kind}`);
  const sent = [torn.exchange, ...retries];
  const final = retries[retries.length - 1];
  if (!final?.response) {
    ctx.note(`${fault.kind}: the retry got no answer (${outcomeHistogram(retries)})`);
    return 'unjudged';
  }
  let effects = await countWrites(ctx, key);
  // One write so far may be the retry's, with the torn request's still on its way.
  if (effects.writes <= 1) {
    await ctx.sleep(settleMs);
    effects = await countWrites(ctx, key);
  }
  if (effects.writes > 1) {
    ctx.report({
      kind: 'duplicate-write',
      discriminator: fault.kind,
      message: `After a ${torn.fault.description} and a retry with the same key ${key}, the target executed ${effects.writes} times (answers: ${outcomeHistogram(sent)}).`,
      expected: '1 side effect',
      observed: `${effects.writes} side effects`,
      exchanges: sent,
      sideEffects: effects.verdict(1),
    });
  } else if (!isSuccess(final)) {
    ctx.note(`${fault.kind}: the retry was answered ${outcomeHistogram([final])}`);
  }
  return 'judged';
}
