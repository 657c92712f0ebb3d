/**
 * distinct-keys (IK-16): the same body under two different keys is two operations. A target
 * that deduplicates by content blocks a customer's legitimate second payment.
 */
import { z } from 'zod';
import { isSuccess } from '../http/exchange.js';
import { outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** Pause between the two requests. */
  delayMs: z.number().int().min(0).max(60_000).default(50),
});

export const distinctKeys = defineAttack({
  meta: {
    id: 'distinct-keys',
    title: 'The same body under two different keys',
    description:
      'Sends the request with key K1, then the identical request with a new key K2. Keys identify operations, so both must execute.',
    sends: 'the same body under a second key',
    finds: '`over-deduplication` (a legitimate second operation blocked)',
    options,
    timingDependent: false,
    findings: {
      'over-deduplication': {
        severity: 'medium',
        title: 'A request with a new key was deduplicated against another key',
        remediation:
          'Deduplicate on the idempotency key (scoped to the caller), not on the request content; if content-based duplicate detection is intended, document it and make it opt-in.',
        references: ['IK-16'],
      },
    },
  },
  async run(ctx) {
    const { delayMs } = ctx.options;
    const k1 = ctx.newKey();
    const k2 = ctx.newKey();
    const first = await ctx.send(ctx.request({ label: 'key-1', key: k1 }));
    if (!isSuccess(first)) {
      ctx.inconclusive(`the first request was not accepted (${outcomeHistogram([first])})`);
      return;
    }
    await ctx.sleep(delayMs);
    const second = await ctx.send(ctx.request({ label: 'key-2', key: k2 }));
    const e1 = await countWrites(ctx, k1);
    const e2 = await countWrites(ctx, k2);
    const secondRefused = second.response !== undefined && !isSuccess(second);
    if (second.error) {
      ctx.inconclusive(`the second request failed in transport (${second.error.message})`);
      return;
    }
    if (e2.writes === 0 || secondRefused) {
      ctx.report({
        kind: 'over-deduplication',
        message: secondRefused
          ? `A new key ${k2} with the same body as key ${k1} was refused with ${outcomeHistogram([second])}.`
          : `A new key ${k2} with the same body as key ${k1} was answered ${outcomeHistogram([second])} but no side effect was recorded for it (key ${k1}: ${e1.writes}).`,
        expected: '1 side effect for each key',
        observed: `${e1.writes} for the first key, ${e2.writes} for the second`,
        exchanges: [first, second],
        sideEffects: e2.verdict(1),
      });
    }
  },
});
