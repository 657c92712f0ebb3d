/**
 * connection-drop: the connection dies while the request is being sent (a reset half-way through
 * the body) or right after it (a reset before any answer could come back), then the client
 * retries with the same key. Half a request must have no effect at all, and the request plus its
 * retry must have exactly one, whichever way the target treated the torn connection.
 */
import { z } from 'zod';
import { isSuccess } from '../http/exchange.js';
import type { ClientFault } from '../http/faults.js';
import { outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { retryUntilSettled } from './_shared/retry.js';
import { defineAttack, type AttackContext } from './types.js';

const options = z.strictObject({
  /** Time the target gets to (wrongly) act on half a request before its effects are counted. */
  settleMs: z.number().int().min(0).max(60_000).default(50),
  /** How long a retry answered with an in-flight status keeps being retried. */
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
    let judged = 0;
    if (ctx.endpoint.request.body === undefined) ctx.note('the endpoint sends no body, so there is no middle to cut');
    else if ((await probe(ctx, { kind: 'reset-mid-body' })) === 'judged') judged++;
    for (let round = 1; round <= ctx.options.rounds; round++) {
      const outcome = await probe(ctx, { kind: 'reset-after-body' }, round === ctx.options.rounds);
      if (outcome === 'dropped') continue;
      if (outcome === 'judged') judged++;
      break;
    }
    if (judged === 0) ctx.inconclusive('no retry was answered, so nothing could be judged (see notes)');
  },
});

/**
 * One torn request and its retry. `dropped`: the target never acted on the torn request, so its
 * retry could only be a first execution; the caller tries again unless this was the last attempt.
 */
async function probe(
  ctx: AttackContext<Options>,
  fault: ClientFault,
  last = true,
): Promise<'judged' | 'unjudged' | 'dropped'> {
  const key = ctx.newKey();
  const torn = await ctx.sendWithFault(ctx.request({ label: `torn (${fault.kind})`, key }), fault);
  if (!torn.fault.applied) {
    ctx.note(`${fault.kind}: not applied (${torn.fault.description})`);
    return 'unjudged';
  }
  if (fault.kind === 'reset-mid-body') {
    await ctx.sleep(ctx.options.settleMs);
    const before = await countWrites(ctx, key);
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
  } else if (!last) {
    await ctx.sleep(ctx.options.settleMs);
    if ((await countWrites(ctx, key)).writes === 0) {
      ctx.note(`${fault.kind}: the target dropped the torn request (no effect for key ${key}); tried again`);
      return 'dropped';
    }
  }
  const retries = await retryUntilSettled(ctx, key, `retry after ${fault.kind}`);
  const sent = [torn.exchange, ...retries];
  const final = retries[retries.length - 1];
  if (!final?.response) {
    ctx.note(`${fault.kind}: the retry got no answer (${outcomeHistogram(retries)})`);
    return 'unjudged';
  }
  const effects = await countWrites(ctx, key);
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
