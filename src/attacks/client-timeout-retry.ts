/**
 * client-timeout-retry (IK-28): the client sends its whole request, gives up before the answer
 * (a timeout, a dying mobile connection), and retries with the same key: at once, while the
 * original may still be running, and again after it must have finished. The target must execute
 * once; the retries get the original result, or an in-flight status and then the result. A key
 * that keeps refusing the retry has been left stuck by the abandoned request.
 */
import { z } from 'zod';
import { isSuccess } from '../http/exchange.js';
import { hasStatus, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { retryUntilSettled, waitBudget } from './_shared/retry.js';
import { defineAttack, type AttackContext } from './types.js';

const options = z.strictObject({
  /** How long after the last byte was written the client hangs up (unless the answer came first). */
  abortAfterMs: z.number().int().min(0).max(60_000).default(0),
  /**
   * Pause before the late retry. The immediate retry already waits out in-flight answers, so the
   * original has usually finished by then; this margin covers targets that answer before committing.
   */
  settleMs: z.number().int().min(0).max(60_000).default(50),
  /** How long a retry answered with an in-flight status keeps being retried before the key counts as stuck. */
  maxWaitMs: z.number().int().min(0).max(600_000).default(5_000),
  /** Independent attempts (fresh key each); the first that shows a duplicate ends the attack. */
  rounds: z.number().int().min(1).max(10).default(2),
});
type Options = z.output<typeof options>;

export const clientTimeoutRetry = defineAttack({
  meta: {
    id: 'client-timeout-retry',
    title: 'The client gives up before the answer, then retries',
    description:
      'Sends the complete request (verified written), closes the connection before the answer, then retries with the same key immediately and after the original must have finished. Exactly one side effect; the retries get the original result.',
    sends:
      'the complete request (last byte verified written), the connection closed before the answer, then retries with the key at once and after the original finished',
    finds: '`duplicate-write` (critical), `stuck-key` (high)',
    options,
    timingDependent: true,
    expectedCost: (o) => ({ requests: o.rounds * 4, waitMs: o.rounds * o.settleMs }),
    notReplayable:
      'its findings depend on the client closing the connection before the answer, which resending the requests does not do',
    findings: {
      'duplicate-write': {
        severity: 'critical',
        title: 'A retry after a client timeout executed again',
        remediation:
          'Reserve the key atomically before executing and keep executing when the client disconnects; a retry must see the reservation (in-flight status) or the stored result.',
        references: ['IK-28', 'IK-24'],
      },
      'stuck-key': {
        severity: 'high',
        title: 'The key stays refused after the client gave up',
        remediation:
          'Finish (or release) the reservation when the client disconnects: store the result of the abandoned request so the retry gets it, or free the key if nothing was applied.',
        references: ['IK-28', 'IK-27'],
      },
    },
  },
  async run(ctx) {
    let judged = 0;
    for (let round = 1; round <= ctx.options.rounds; round++) {
      if (ctx.signal.aborted) return;
      const r = await attempt(ctx, round);
      if (r === 'finding') return;
      if (r === 'judged') judged += 1;
    }
    if (judged === 0) ctx.inconclusive('no round could be judged (see notes)');
  },
});

async function attempt(ctx: AttackContext<Options>, round: number): Promise<'finding' | 'judged' | 'unjudged'> {
  const o = ctx.options;
  const key = ctx.newKey();
  // The immediate retry must meet the original still running: both go out with the target to
  // ourselves, so other lanes' traffic cannot shift one against the other.
  const {
    exchange: first,
    fault,
    retry,
  } = await ctx.exclusive(async () => {
    const sent = await ctx.sendWithFault(ctx.request({ label: `first (aborted)`, key }), {
      kind: 'abort-after-send',
      afterMs: o.abortAfterMs,
    });
    if (!sent.fault.completeRequestSent) return { ...sent, retry: undefined };
    return { ...sent, retry: await ctx.send(ctx.request({ label: 'retry (immediate)', key })) };
  });
  if (!fault.completeRequestSent || retry === undefined) {
    ctx.note(`round ${round}: the request could not be written completely (${first.error?.message ?? 'no error'})`);
    return 'unjudged';
  }
  if (!fault.applied) {
    ctx.note(
      `round ${round}: the target answered ${first.response?.status ?? '?'} before the client hung up; lower abortAfterMs to abort earlier`,
    );
  }
  const immediate = await retryUntilSettled(ctx, key, 'retry (immediate)', retry);
  await ctx.sleep(o.settleMs);
  const late = await retryUntilSettled(ctx, key, 'retry (after)');
  const sent = [first, ...immediate, ...late];
  const answered = [...immediate, ...late].filter((e) => e.response !== undefined);
  if (answered.length === 0) {
    ctx.note(`round ${round}: no retry was answered (${outcomeHistogram(sent)})`);
    return 'unjudged';
  }
  const effects = await countWrites(ctx, key);
  if (effects.writes > 1) {
    ctx.report({
      kind: 'duplicate-write',
      message: `The client sent the complete request with key ${key} (${fault.description}) and retried; the target executed it ${effects.writes} times (answers: ${outcomeHistogram(sent)}).`,
      expected: '1 side effect',
      observed: `${effects.writes} side effects`,
      exchanges: sent,
      sideEffects: effects.verdict(1),
    });
    return 'finding';
  }
  const last = late[late.length - 1];
  if (last?.response && hasStatus(last, ctx.contract.onInFlight)) {
    ctx.report({
      kind: 'stuck-key',
      message: `After the client abandoned its request with key ${key}, retries were still answered ${last.response.status} ${waitBudget(ctx, o.maxWaitMs)} ms after the original must have finished (answers: ${outcomeHistogram(sent)}).`,
      expected: 'the original result replayed (or the key released)',
      observed: `${last.response.status} after waiting ${o.settleMs + waitBudget(ctx, o.maxWaitMs)} ms`,
      exchanges: sent,
    });
    return 'finding';
  }
  if (last && !isSuccess(last)) {
    ctx.note(`round ${round}: the late retry was answered ${outcomeHistogram([last])}`);
  }
  return 'judged';
}
