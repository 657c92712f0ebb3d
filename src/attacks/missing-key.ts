/**
 * missing-key (IK-01): a request without the key (no header, body field, form field or query
 * parameter, wherever the endpoint carries it) on an endpoint whose contract requires one must be
 * refused before it does anything, or a client that forgot it silently loses exactly-once.
 */
import { z } from 'zod';
import { isSuccess } from '../http/exchange.js';
import { describePlacement } from '../scenario/request-body.js';
import { hasStatus, isServerError, outcomeHistogram } from './_shared/describe.js';
import { defineAttack } from './types.js';

const options = z.strictObject({});

export const missingKey = defineAttack({
  meta: {
    id: 'missing-key',
    title: 'The request without a key',
    description:
      'Sends the request without the idempotency key (its header, body field, form field or query parameter left out). When the contract requires a key, the target must refuse it (400 by the IETF draft) without executing it.',
    sends: 'the request without the key, wherever it travels (when the contract requires one)',
    finds: '`missing-key-accepted`, `missing-key-crash`, `missing-key-status`',
    options,
    timingDependent: false,
    findings: {
      'missing-key-accepted': {
        severity: 'medium',
        title: 'A request without the required key was executed',
        remediation: 'Validate the presence and format of the key before any work and answer 400 when it is missing.',
        references: ['IK-01'],
      },
      'missing-key-crash': {
        severity: 'medium',
        title: 'A request without a key crashed the target',
        remediation: 'Treat a missing key as a client error (400), not an internal one.',
        references: ['IK-01'],
      },
      'missing-key-status': {
        severity: 'low',
        title: 'A request without a key was refused with an unexpected status',
        remediation: "Answer a missing key with the contract's status (400 by the IETF draft).",
        references: ['IK-01'],
      },
    },
  },
  async run(ctx) {
    const { contract } = ctx;
    if (!contract.keyRequired) {
      ctx.skip('the contract makes the key optional (keyRequired: false)');
      return;
    }
    const without = `without ${describePlacement(ctx.keyIn)}`;
    const ex = await ctx.send(ctx.request({ label: 'no-key', key: undefined }));
    if (ex.error) {
      ctx.inconclusive(`the request failed in transport (${ex.error.message})`);
      return;
    }
    const expected = contract.onMissingKey.length > 0 ? contract.onMissingKey.join('/') : 'a 4xx';
    if (isSuccess(ex)) {
      ctx.report({
        kind: 'missing-key-accepted',
        message: `A request ${without} was accepted with ${outcomeHistogram([ex])}.`,
        expected,
        observed: outcomeHistogram([ex]),
        exchanges: [ex],
      });
    } else if (isServerError(ex)) {
      ctx.report({
        kind: 'missing-key-crash',
        message: `A request ${without} got ${outcomeHistogram([ex])}.`,
        expected,
        observed: outcomeHistogram([ex]),
        exchanges: [ex],
      });
    } else if (contract.onMissingKey.length > 0 && !hasStatus(ex, contract.onMissingKey)) {
      ctx.report({
        kind: 'missing-key-status',
        message: `A request ${without} got ${outcomeHistogram([ex])}, not ${expected}.`,
        expected,
        observed: outcomeHistogram([ex]),
        exchanges: [ex],
      });
    }
  },
});
