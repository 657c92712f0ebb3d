/**
 * rejected-then-valid (IK-14): a request the target must reject before executing (an invalid
 * body) with key K, then the valid request with the same K. Validation failures must not be bound
 * to the key, so the valid request executes.
 */
import { z } from 'zod';
import { isSuccess } from '../http/exchange.js';
import { outcomeHistogram } from './_shared/describe.js';
import { invalidBodies } from './_shared/mutations.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** Retries of the valid request when it is answered with an in-flight status. */
  inFlightRetries: z.number().int().min(0).max(20).default(3),
});

export const rejectedThenValid = defineAttack({
  meta: {
    id: 'rejected-then-valid',
    title: 'A valid request after a rejected one with the same key',
    description:
      'Sends an invalid body (a field of the wrong type, then the body cut short) with a key, then the valid request with the same key. A correct target validates before touching the key store, so the valid request executes.',
    sends:
      'an invalid body (a field of the wrong type, `amount=abc` in a form; the body cut short) with a key, then the valid request with it',
    finds: '`rejection-replayed`, `valid-refused` (high)',
    options,
    timingDependent: false,
    findings: {
      'rejection-replayed': {
        severity: 'high',
        title: 'A corrected retry replayed the earlier rejection',
        remediation:
          'Validate (and authenticate) before reserving the key, and never store pre-execution rejections (4xx) against it.',
        references: ['IK-14'],
      },
      'valid-refused': {
        severity: 'high',
        title: 'A corrected retry was refused',
        remediation:
          'A key whose only use was rejected before execution must stay unused; release it (or never reserve it) when validation fails.',
        references: ['IK-14'],
      },
    },
  },
  async run(ctx) {
    const o = ctx.options;
    const cases = invalidBodies(ctx.endpoint.request.body, ctx.keyIn);
    if (cases.length === 0) {
      ctx.skip('the endpoint has no request body to make invalid');
      return;
    }
    let judged = 0;
    for (const c of cases) {
      const key = ctx.newKey();
      const invalid = await ctx.send(
        ctx.request({
          label: `${c.label} (${c.describe})`,
          key,
          ...(c.bodyText !== undefined ? { bodyText: c.bodyText } : { body: c.body }),
        }),
      );
      const status = invalid.response?.status;
      // Only a 4xx rejection says "not executed"; a 2xx means this body is valid for the target.
      if (status === undefined || status < 400 || status >= 500) {
        if (status !== undefined)
          ctx.note(`the ${c.describe} variant was answered ${status}, so it says nothing about IK-14`);
        continue;
      }
      let valid = await ctx.send(ctx.request({ label: `${c.label} then valid`, key }));
      for (
        let r = 0;
        r < o.inFlightRetries && valid.response && ctx.contract.onInFlight.includes(valid.response.status);
        r++
      ) {
        await ctx.sleep(Math.min(2000, 100 * 2 ** r));
        valid = await ctx.send(ctx.request({ label: `${c.label} then valid, retry ${r + 1}`, key }));
      }
      if (!valid.response) continue;
      judged++;
      if (isSuccess(valid)) continue;
      const exchanges = [invalid, valid];
      const replayed = valid.response.status === status && valid.response.body === invalid.response?.body;
      ctx.report({
        kind: replayed ? 'rejection-replayed' : 'valid-refused',
        discriminator: c.label,
        message: `Key ${key} was first sent with ${c.describe} (answered ${status}); the valid request with the same key was then answered ${valid.response.status}${replayed ? ', the stored rejection' : ''} instead of executing (answers: ${outcomeHistogram(exchanges)}).`,
        expected: 'the valid request executes (2xx)',
        observed: `${valid.response.status}${replayed ? ' replayed' : ''}`,
        exchanges,
      });
    }
    if (judged === 0) ctx.inconclusive('no invalid variant was rejected with a 4xx, so IK-14 could not be judged');
  },
});
