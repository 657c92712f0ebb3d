/**
 * sequential-replay (IK-10..12, IK-43): the same request again after the first completed.
 * Exactly one side effect, and every replay is the original answer: same status, same body,
 * same representation headers, and the replay marker when the contract promises one.
 */
import { z } from 'zod';
import { jsonPathField } from '../scenario/json-path.js';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { getHeader } from '../http/headers.js';
import { compareReplay } from './_shared/compare.js';
import { hasStatus, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  replays: z.number().int().min(1).max(20).default(2),
  /** Pause between the answer and the next replay. */
  delayMs: z.number().int().min(0).max(60_000).default(50),
  /** JSON paths left out of the body comparison (values the target may legitimately vary). */
  ignoreFields: z.array(jsonPathField('$.created_at')).default([]),
  /** How often a replay answered with an in-flight status is retried before it counts as the answer. */
  inFlightRetries: z.number().int().min(0).max(20).default(5),
});

export const sequentialReplay = defineAttack({
  meta: {
    id: 'sequential-replay',
    title: 'The same request again after the first completed',
    description:
      'Sends the request, waits for the answer, then sends it again with the same key. A correct target executes once and replays the original answer byte for byte.',
    sends: 'the request, then the same request again after the answer',
    finds:
      '`duplicate-write`, `replay-divergent` (status, body or Location/ETag differ), `replay-refused`, `replay-header-missing`',
    options,
    timingDependent: false,
    findings: {
      'duplicate-write': {
        severity: 'critical',
        title: 'A retry after completion executed again',
        remediation:
          'Look the key up before executing and replay the stored response; make sure the lookup reads the same store (and key scheme) the write used.',
        references: ['IK-10'],
      },
      'replay-divergent': {
        severity: 'medium',
        title: 'The replay differs from the original answer',
        remediation:
          'Store the response as sent on the wire (status, body bytes, Content-Type, Location, ETag) and replay it unchanged; 201 stays 201.',
        references: ['IK-10', 'IK-11', 'IK-43'],
      },
      'replay-header-missing': {
        severity: 'low',
        title: 'Replays lack the promised replay header',
        remediation: 'Set the documented replay header on replayed responses only.',
        references: ['IK-12'],
      },
      'replay-refused': {
        severity: 'high',
        title: 'A retry of a completed request was refused',
        remediation:
          'After the original completed, a retry with the same key and body must receive the stored response, not an error; do not store in-flight conflicts as the final result.',
        references: ['IK-10', 'IK-25'],
      },
    },
  },
  async run(ctx) {
    const o = ctx.options;
    const { contract } = ctx;
    const key = ctx.newKey();
    const first = await ctx.send(ctx.request({ label: 'first', key }));
    if (!isSuccess(first)) {
      ctx.inconclusive(
        `the first request was not accepted (${outcomeHistogram([first])}), so there is nothing to replay`,
      );
      return;
    }
    const replays: Exchange[] = [];
    for (let i = 0; i < o.replays; i++) {
      await ctx.sleep(o.delayMs);
      let replay = await ctx.send(ctx.request({ label: `replay[${i + 1}]`, key }));
      // A target that still finishes the original asynchronously may answer in-flight; give it time.
      for (let r = 0; r < o.inFlightRetries && hasStatus(replay, contract.onInFlight); r++) {
        await ctx.sleep(Math.min(2000, 100 * 2 ** r));
        replay = await ctx.send(ctx.request({ label: `replay[${i + 1}] retry ${r + 1}`, key }));
      }
      replays.push(replay);
    }
    const effects = await countWrites(ctx, key);
    const all = [first, ...replays];
    if (effects.writes > 1) {
      ctx.report({
        kind: 'duplicate-write',
        message: `The request with key ${key} was sent ${all.length} times one after another and produced ${effects.writes} side effects (answers: ${outcomeHistogram(all)}).`,
        expected: '1 side effect',
        observed: `${effects.writes} side effects`,
        exchanges: all,
        sideEffects: effects.verdict(1),
      });
    }
    const answered = replays.filter((r) => r.response !== undefined);
    const refused = answered.filter((r) => !isSuccess(r));
    if (refused.length > 0) {
      ctx.report({
        kind: 'replay-refused',
        message: `After the original answered ${first.response?.status}, ${refused.length} of ${replays.length} replays with the same key and body were answered ${outcomeHistogram(refused)}.`,
        expected: `the stored ${first.response?.status} replayed`,
        observed: outcomeHistogram(refused),
        exchanges: [first, ...refused],
      });
    }
    const divergent = answered
      .filter(isSuccess)
      .flatMap((r) => compareReplay(first, r, o.ignoreFields).map((d) => ({ r, d })));
    if (divergent.length > 0 && effects.writes <= 1) {
      const details = [...new Set(divergent.map((x) => x.d.detail))];
      ctx.report({
        kind: 'replay-divergent',
        message: `Replays of key ${key} differ from the original answer: ${details.join('; ')}.`,
        expected: 'the original status, body and representation headers',
        observed: details.join('; '),
        exchanges: [first, ...new Set(divergent.map((x) => x.r))],
      });
    }
    if (contract.replayHeader !== undefined) {
      const header = contract.replayHeader;
      const missing = answered.filter(
        (r) => isSuccess(r) && getHeader(r.response?.headers ?? {}, header) === undefined,
      );
      if (missing.length > 0 && effects.writes <= 1) {
        ctx.report({
          kind: 'replay-header-missing',
          message: `${missing.length} of ${answered.length} replays lack the ${header} header the contract promises.`,
          expected: `${header} on every replay`,
          observed: `${header} missing`,
          exchanges: [first, ...missing],
        });
      }
      if (getHeader(first.response?.headers ?? {}, header) !== undefined) {
        ctx.note(`the first (non-replayed) answer already carried ${header}`);
      }
    }
  },
});
