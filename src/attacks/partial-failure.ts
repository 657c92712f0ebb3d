/**
 * partial-failure (IK-13, IK-15, IK-47): the target's downstream provider (the sink observer)
 * fails, hangs or resets on its first call for a key, then the client retries as it should. What
 * counts is what the provider really applied: two applications for one key is a duplicate write;
 * a 5xx that keeps coming back without the provider even being asked again, when the contract
 * says errors are not replayed, is an error cached against the key.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import type { DownstreamControl, DownstreamRule } from '../observers/types.js';
import { hasStatus, isServerError, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack, type AttackContext } from './types.js';

const FAULTS = ['fail', 'reset', 'hang'] as const;
type Fault = (typeof FAULTS)[number];

const options = z.strictObject({
  /** Downstream faults to try, one fresh key each. */
  faults: z
    .array(z.enum(FAULTS))
    .min(1)
    .default([...FAULTS]),
  /** Retries the client makes after an unsuccessful answer. */
  retries: z.number().int().min(1).max(10).default(3),
  /** Pause before each retry. */
  retryDelayMs: z.number().int().min(0).max(30_000).default(200),
  /** Status the provider answers for `fail`. */
  failStatus: z.number().int().min(500).max(599).default(503),
});
type Options = z.output<typeof options>;

const DESCRIPTION: Readonly<Record<Fault, string>> = {
  fail: 'the provider answered 5xx and applied nothing',
  reset: 'the provider applied the call, then reset the connection',
  hang: 'the provider applied the call and never answered',
};

export const partialFailure = defineAttack({
  meta: {
    id: 'partial-failure',
    title: 'The downstream provider fails, then the client retries',
    description:
      'Makes the target’s downstream (the sink observer) fail, reset or hang on its first call for a key, then retries with the same key. The provider must apply the operation once, and a failure must not be replayed when the contract says errors are released.',
    sends:
      "the target's downstream (the `sink` observer) fails, resets or hangs on its first call, then the client retries",
    finds:
      '`duplicate-write` (downstream applied twice, critical), `error-cached` (high, with `errorsReplayed: false`)',
    options,
    timingDependent: false,
    expectedCost: (o) => ({
      requests: o.faults.length * (o.retries + 2),
      waitMs: o.faults.length * o.retries * o.retryDelayMs,
    }),
    notReplayable: 'its findings depend on the downstream failing on command, which only the attack programs',
    findings: {
      'duplicate-write': {
        severity: 'critical',
        title: 'The provider applied one operation twice',
        remediation:
          'Forward a stable idempotency key to the provider on every call and retry for one logical operation (derived from the client’s key), so the provider deduplicates a retry after a lost answer.',
        references: ['IK-13', 'IK-47'],
      },
      'error-cached': {
        severity: 'high',
        title: 'A server error is replayed for the key',
        remediation:
          'When execution fails before anything was applied, release the key (or store nothing) so the client’s retry runs again; only replay errors if the contract says so (errorsReplayed: true).',
        references: ['IK-13', 'IK-15'],
      },
    },
  },
  async run(ctx) {
    const downstream = ctx.downstream;
    if (!downstream) {
      ctx.skip('the endpoint declares no sink observer, so the downstream cannot be made to fail');
      return;
    }
    let judged = 0;
    for (const fault of ctx.options.faults) {
      if (ctx.signal.aborted) return;
      if (await probe(ctx, downstream, fault)) judged += 1;
    }
    if (judged === 0) ctx.inconclusive('no attempt got an answer from the target, so nothing could be judged');
  },
});

/** One fault on a fresh key; false when nothing could be judged. */
async function probe(ctx: AttackContext<Options>, downstream: DownstreamControl, fault: Fault): Promise<boolean> {
  const o = ctx.options;
  const key = ctx.newKey();
  const rule: DownstreamRule = { fault, times: 1 };
  if (fault === 'fail') rule.status = o.failStatus;
  downstream.program(key, rule);

  const sent: Exchange[] = [await ctx.send(ctx.request({ label: `first (downstream ${fault})`, key }))];
  for (let i = 0; i < o.retries && !succeeded(sent); i++) {
    await ctx.sleep(o.retryDelayMs);
    sent.push(await ctx.send(ctx.request({ label: `retry[${i + 1}] (downstream ${fault})`, key })));
  }
  const calls = downstream.calls(key);
  const answered = sent.filter((e) => e.response !== undefined);
  if (answered.length === 0) {
    ctx.note(`downstream ${fault}: the target never answered (${outcomeHistogram(sent)}); not judged`);
    return false;
  }
  if (calls.length === 0) {
    ctx.note(
      `downstream ${fault}: the target never called the sink for key ${key} (answers: ${outcomeHistogram(sent)}); check that it is configured with the sink's URL ${downstream.url}`,
    );
    return false;
  }

  const effects = await countWrites(ctx, key);
  if (effects.writes > 1) {
    ctx.report({
      kind: 'duplicate-write',
      discriminator: fault,
      message: `On its first call for key ${key}, ${DESCRIPTION[fault]}; after ${sent.length} client request(s) (answers: ${outcomeHistogram(sent)}) the operation was applied ${effects.writes} times (provider calls: ${calls.map((c) => c.outcome).join(', ')}).`,
      expected: 'applied once',
      observed: `applied ${effects.writes} times`,
      exchanges: sent,
      sideEffects: effects.verdict(1),
    });
  }

  const retries = sent.slice(1).filter((e) => e.response !== undefined);
  const first = sent[0];
  // Only a fault that applied nothing makes a retry necessary; the provider not being asked again
  // is what shows the error came from the key store rather than from a second failure.
  if (
    fault === 'fail' &&
    !ctx.contract.errorsReplayed &&
    first !== undefined &&
    isServerError(first) &&
    retries.length > 0 &&
    retries.every(isServerError) &&
    calls.length === 1
  ) {
    ctx.report({
      kind: 'error-cached',
      message: `The provider failed once (${o.failStatus}) for key ${key}; the target answered ${first.response?.status} and replayed it to ${retries.length} retr${retries.length === 1 ? 'y' : 'ies'} without calling the provider again, although the contract says errors are not replayed.`,
      expected: 'a retry runs again and succeeds',
      observed: `${outcomeHistogram(retries)} replayed, 1 provider call`,
      exchanges: sent,
    });
  }
  if (!succeeded(sent) && !sent.some((e) => hasStatus(e, ctx.contract.onInFlight))) {
    ctx.note(`downstream ${fault}: no retry succeeded (answers: ${outcomeHistogram(sent)})`);
  }
  return true;
}

function succeeded(sent: readonly Exchange[]): boolean {
  const last = sent[sent.length - 1];
  return last !== undefined && isSuccess(last);
}
