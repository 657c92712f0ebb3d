/**
 * in-flight-duplicate (IK-21, IK-27): while the first request is still being processed, an
 * identical duplicate and a mismatching request with the same key. Exactly one may execute; the
 * duplicate gets an `onInFlight` status (or waits and gets the replay, when the contract allows
 * it), the mismatch gets an `onMismatch` or `onInFlight` status.
 *
 * Whether the first request was really still running is only known for what the client saw:
 * a round counts as in flight when both followers were sent before the first answer arrived.
 * Targets that answer fast can be slowed with `firstRequestHeaders` (a test hook such as the
 * demo's `X-Demo-Processing-Ms`) or simply get more `rounds`.
 */
import { z } from 'zod';
import { REQUEST_VARIABLES, templateField } from '../scenario/template.js';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { hasStatus, outcomeHistogram, plural } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { applyMutations, describeMutation, simpleMismatch } from './_shared/mutations.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  rounds: z.number().int().min(1).max(50).default(3),
  /** Pause after dispatching the first request before the followers go out. */
  delayMs: z.number().int().min(0).max(60_000).default(5),
  /** Extra headers on the first request only, e.g. a hook that makes the target slower. */
  firstRequestHeaders: z
    .record(z.string(), templateField({ variables: REQUEST_VARIABLES, what: 'a header value' }))
    .default({}),
  /** Also send a mismatching request while the first runs (IK-21). */
  mismatch: z.boolean().default(true),
});

export const inFlightDuplicate = defineAttack({
  meta: {
    id: 'in-flight-duplicate',
    title: 'A duplicate while the original is still running',
    description:
      'Sends a request and, before its answer, an identical duplicate and a mismatching request with the same key. One execution only; the followers get the in-flight or mismatch status.',
    sends:
      'an identical duplicate and a mismatching request while the first is still running (`firstRequestHeaders` can slow it)',
    finds: '`duplicate-write`, `in-flight-status` (low)',
    options,
    timingDependent: true,
    expectedCost: (o) => ({ requests: o.rounds * 3, waitMs: o.rounds * o.delayMs }),
    notReplayable:
      'its findings depend on the duplicate arriving while the first request is still running, which resending one after the other does not recreate',
    findings: {
      'duplicate-write': {
        severity: 'critical',
        title: 'A request sent while the original ran executed too',
        remediation:
          'Reserve the key atomically before executing (insert an in-flight record) and answer followers with 409 until the result is stored.',
        references: ['IK-21', 'IK-24', 'IK-27'],
      },
      'in-flight-status': {
        severity: 'low',
        title: 'An in-flight follower got an undocumented status',
        remediation:
          'Answer an identical duplicate of a running request with the documented in-flight status (409 with Retry-After), and a different request with the mismatch status.',
        references: ['IK-21', 'IK-26'],
      },
    },
  },
  async run(ctx) {
    const o = ctx.options;
    const base = {
      method: ctx.endpoint.request.method,
      path: ctx.endpoint.request.path,
      body: ctx.endpoint.request.body,
    };
    const mismatch = simpleMismatch(base);
    const changed = applyMutations(base, [mismatch]);
    let overlapped = 0;
    let foreign = 0;
    // Whether the changed request is valid by itself: a mutation can make it invalid (an enum value
    // with an `x`), and its 400 then answers the body, not the key. Asked once, on a fresh key.
    let changedAlone: Promise<boolean> | undefined;
    const changedIsValid = (): Promise<boolean> =>
      (changedAlone ??= ctx
        .send(
          ctx.request({
            label: `mismatch alone, fresh key (${describeMutation(base, mismatch)})`,
            key: ctx.newKey(),
            method: changed.method,
            path: changed.path,
            body: changed.body,
          }),
        )
        .then((e) => isSuccess(e)));
    let notedInvalid = false;
    for (let round = 1; round <= o.rounds; round++) {
      const key = ctx.newKey();
      const firstRequest = ctx.request({ label: `round[${round}] first`, key, headers: o.firstRequestHeaders });
      // Its setup first: the followers must leave while the first request runs, not while its charge is created.
      await ctx.setUp(firstRequest.operation);
      // The followers must arrive while the first runs: other lanes' traffic must not shift them.
      const [first, dup, mis] = await ctx.exclusive(async () => {
        const firstP = ctx.send(firstRequest);
        await ctx.sleep(o.delayMs);
        const dupP = ctx.send(ctx.request({ label: `round[${round}] duplicate`, key }));
        const misP = o.mismatch
          ? ctx.send(
              ctx.request({
                label: `round[${round}] mismatch (${describeMutation(base, mismatch)})`,
                key,
                method: changed.method,
                path: changed.path,
                body: changed.body,
              }),
            )
          : undefined;
        return Promise.all([firstP, dupP, misP]);
      });
      const followers = mis ? [dup, mis] : [dup];
      const all = [first, ...followers];
      const writes = await countWrites(ctx, key);
      if (writes.writes > 1) {
        ctx.report({
          kind: 'duplicate-write',
          message: `Key ${key}: a duplicate${mis ? ' and a mismatching request' : ''} sent while the first was running produced ${writes.writes} side effects (answers: ${outcomeHistogram(all)}).`,
          expected: '1 side effect',
          observed: `${writes.writes} side effects`,
          exchanges: all,
          sideEffects: writes.verdict(1),
        });
        return;
      }
      // Answers carrying responses not written for this key (e.g. another key's, replayed by content):
      // the first request did not run under the key, so nothing was in flight to test.
      if (writes.disputed !== undefined) {
        foreign++;
        continue;
      }
      if (!first.response || !followers.every((f) => inFlightWhenSent(first, f))) continue;
      overlapped++;
      // A 2xx follower that did not execute either waited for the result or arrived after it: both are safe.
      // When the mismatching request reached the target first and ran, the duplicate is the mismatch.
      const dupOk =
        mis && isSuccess(mis) ? [...ctx.contract.onInFlight, ...ctx.contract.onMismatch] : ctx.contract.onInFlight;
      const badDup = dup.response !== undefined && !isSuccess(dup) && !hasStatus(dup, dupOk);
      const misOk = [...ctx.contract.onMismatch, ...ctx.contract.onInFlight];
      let badMis = mis?.response !== undefined && !isSuccess(mis) && !hasStatus(mis, misOk);
      if (badMis && mis?.response !== undefined && mis.response.status < 500 && !(await changedIsValid())) {
        badMis = false;
        if (!notedInvalid)
          ctx.note(
            `the mismatching request (${describeMutation(base, mismatch)}) is refused with a fresh key too: its ${mis.response.status} answers the body, not the key`,
          );
        notedInvalid = true;
      }
      if (badDup || badMis) {
        const parts = [
          badDup
            ? `the identical duplicate was answered ${dup.response?.status} (expected ${ctx.contract.onInFlight.join('/')}${ctx.contract.inFlightMayWait ? ' or the replay after waiting' : ''})`
            : '',
          badMis ? `the mismatching request was answered ${mis?.response?.status} (expected ${misOk.join('/')})` : '',
        ].filter((p) => p !== '');
        ctx.report({
          kind: 'in-flight-status',
          message: `Key ${key}, while the first request was running: ${parts.join('; ')}.`,
          expected: `${ctx.contract.onInFlight.join('/')} for a duplicate, ${misOk.join('/')} for a mismatch`,
          observed: outcomeHistogram(followers),
          exchanges: all,
        });
        return;
      }
    }
    if (overlapped === 0 && foreign === o.rounds) {
      ctx.skip(
        `in every round the answers carried responses the key's records do not show (another key's stored response, replayed for the same content?), so no request ran under the key while a duplicate arrived; distinct-keys judges deduplication across keys`,
      );
    } else if (overlapped === 0) {
      ctx.inconclusive(
        `in ${plural(o.rounds, 'round')} the first request always answered before the followers were sent${foreign > 0 ? ` (in ${foreign} of them with a response the key's records do not show)` : ''}; slow it down with firstRequestHeaders or raise rounds`,
      );
    }
  },
});

/** The follower left the client before the first answer came back. */
function inFlightWhenSent(first: Exchange, follower: Exchange): boolean {
  const done = first.timings.headers ?? first.timings.done;
  const sent = follower.timings.sent ?? follower.timings.queued;
  return done !== undefined && sent < done;
}
