/**
 * concurrent-burst (IK-24..26): N identical requests with one key, released together on
 * separate connections. Exactly-once allows one side effect; every other copy must get the
 * replay or an in-flight status. Several rounds, each on a fresh key, because a race that
 * shows in one burst out of three is still a race.
 */
import { z } from 'zod';
import { SYNC_MODES } from '../http/sync/mode.js';
import { DEFAULT_QUIET_MS, MAX_QUIET_MS } from '../http/sync/quiet.js';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { hasStatus, isServerError, outcomeHistogram, plural } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import type { SideEffectVerdict } from '../findings/finding.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  copies: z.number().int().min(2).max(200).default(10),
  rounds: z.number().int().min(1).max(50).default(3),
  /** How the copies are released: single-packet on HTTP/2 targets, last-byte otherwise (auto). */
  sync: z.enum(SYNC_MODES).default('auto'),
  /** Pacing of last-byte and barrier releases (ms): the target is given this long to go idle first. */
  quietMs: z.number().int().min(0).max(MAX_QUIET_MS).default(DEFAULT_QUIET_MS),
});

export const concurrentBurst = defineAttack({
  meta: {
    id: 'concurrent-burst',
    title: 'Identical requests with one key, released together',
    description:
      'Sends N identical requests carrying the same key on N connections at the same moment. A correct target executes one and answers the others with the replay or an in-flight status.',
    sends: 'N identical requests with one key, on N connections opened first, released in one tick; several rounds',
    finds: '`duplicate-write` (critical), `race-error` (5xx for the losers, medium), `in-flight-status` (low)',
    options,
    timingDependent: true,
    expectedCost: (o) => ({ requests: o.rounds * 3, waitMs: o.rounds * 2 * o.quietMs }),
    findings: {
      'duplicate-write': {
        severity: 'critical',
        title: 'Concurrent duplicates executed more than once',
        remediation:
          'Reserve the key atomically before doing the work (INSERT … ON CONFLICT DO NOTHING, SET NX, a unique constraint on (scope, key)) and answer concurrent duplicates with 409 until the first completes.',
        references: ['IK-24', 'IK-30'],
      },
      'race-error': {
        severity: 'medium',
        title: 'Losing racers answered with a server error',
        remediation:
          'Map the unique-constraint or serialization failure of the losing request to 409 Conflict (or make it wait for the stored result) instead of a 5xx.',
        references: ['IK-26'],
      },
      'in-flight-status': {
        severity: 'low',
        title: 'Concurrent duplicates answered with a status the contract does not allow',
        remediation:
          "Answer duplicates of an in-flight request with the contract's in-flight status (409 by the IETF draft).",
        references: ['IK-24'],
      },
    },
  },
  async run(ctx) {
    const { copies, rounds, sync, quietMs } = ctx.options;
    const { contract } = ctx;
    let judged = 0;
    let duplicateRounds = 0;
    const refusals: string[] = [];
    let firstDuplicate:
      | {
          key: string;
          exchanges: Exchange[];
          verdict: SideEffectVerdict;
        }
      | undefined;
    const raceErrors: Exchange[] = [];
    const badStatus: Exchange[] = [];

    for (let round = 0; round < rounds; round++) {
      const key = ctx.newKey();
      const specs = Array.from({ length: copies }, (_, i) => ctx.request({ label: `round${round + 1}[${i}]`, key }));
      const { exchanges } = await ctx.burst(specs, { sync, quietMs });
      const effects = await countWrites(ctx, key);
      if (!exchanges.some(isSuccess) && effects.writes === 0) {
        refusals.push(outcomeHistogram(exchanges));
        continue;
      }
      judged++;
      const duplicated = effects.writes > 1;
      if (duplicated) {
        duplicateRounds++;
        firstDuplicate ??= { key, exchanges, verdict: effects.verdict(1) };
      }
      // With a duplicate write the 5xx are a symptom of the same race; report them only when the
      // target kept exactly-once but still let the loser crash.
      for (const ex of exchanges) {
        if (isSuccess(ex) || ex.error) continue;
        if (isServerError(ex)) {
          if (!duplicated) raceErrors.push(ex);
        } else if (!hasStatus(ex, contract.onInFlight)) badStatus.push(ex);
      }
    }

    if (judged === 0) {
      ctx.inconclusive(
        `the target accepted none of the requests (${refusals.join('; ')}), so exactly-once could not be judged`,
      );
      return;
    }
    if (firstDuplicate) {
      const v = firstDuplicate.verdict;
      ctx.report({
        kind: 'duplicate-write',
        message: `${copies} identical requests with key ${firstDuplicate.key} released together produced ${v.observed} side effects (answers: ${outcomeHistogram(firstDuplicate.exchanges)}); ${duplicateRounds} of ${plural(judged, 'round')} wrote more than once.`,
        expected: '1 side effect per key',
        observed: `${v.observed} side effects for one key`,
        exchanges: firstDuplicate.exchanges,
        sideEffects: v,
      });
    }
    if (raceErrors.length > 0) {
      ctx.report({
        kind: 'race-error',
        message: `${plural(raceErrors.length, 'concurrent duplicate')} got a 5xx (${outcomeHistogram(raceErrors)}) instead of the replay or an in-flight status.`,
        expected: `2xx replay or ${contract.onInFlight.join('/')}`,
        observed: outcomeHistogram(raceErrors),
        exchanges: raceErrors.slice(0, 10),
      });
    }
    if (badStatus.length > 0) {
      ctx.report({
        kind: 'in-flight-status',
        message: `${plural(badStatus.length, 'concurrent duplicate')} got ${outcomeHistogram(badStatus)}, outside the contract's in-flight statuses (${contract.onInFlight.join(', ') || 'none'}).`,
        expected: `2xx replay or ${contract.onInFlight.join('/')}`,
        observed: outcomeHistogram(badStatus),
        exchanges: badStatus.slice(0, 10),
      });
    }
  },
});
