/**
 * store-outage (IK-10): the target's idempotency key store goes away (the storeDown hook: a paused
 * Redis container, a disabled Toxiproxy proxy) while requests keep coming: a fresh key twice, and
 * a key used just before the outage. Refusing them promptly (a 5xx, ideally 503) is correct;
 * executing them without deduplication is failing open, and shows as two side effects for one key
 * once the store is back (storeUp; restart too when the process died). A target that stops
 * answering (it hangs on the store, or dies with it) is reported as an availability finding,
 * with what was seen. After the outage the client retries both keys: they must not duplicate.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { isServerError, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { hooksReady, notServing, retryUntilServed, step } from './_shared/hooks.js';
import { waitBudget } from './_shared/retry.js';
import { defineAttack, type AttackContext } from './types.js';

const options = z.strictObject({
  /** Per-request timeout during the outage (default: the target's timeout, at most 10 s): past it a request counts as hanging. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** Pause after storeDown before the first request, for the outage to take effect (a pool noticing, a proxy closing). */
  settleMs: z.number().int().min(0).max(60_000).default(200),
  /** How long after storeUp (and restart) the target may take to serve the keys again. */
  recoverWaitMs: z.number().int().min(0).max(600_000).default(30_000),
});
type Options = z.output<typeof options>;

const DEFAULT_OUTAGE_TIMEOUT_MS = 10_000;

const meta = {
  id: 'store-outage',
  title: 'The key store goes down while requests keep coming',
  description:
    'Takes the key store away (the storeDown hook), sends a fresh key twice and an already used key, brings the store back (storeUp, and restart if the process died) and retries both keys. Refusing during the outage is correct; executing without deduplication, or forgetting keys across it, is not.',
  sends:
    'a request, then with the store down (`storeDown` hook) a fresh key twice and the used key again, then after `storeUp` both keys once more (needs `--allow-hooks`)',
  finds:
    '`fails-open` (critical), `duplicate-write` (keys lost across the outage, critical), `outage-availability` (medium)',
  options,
  timingDependent: false,
  notReplayable: 'its findings depend on the key store being down while the requests are sent',
  hooks: { required: ['storeDown', 'storeUp'], optional: ['restart', 'ready'] },
  findings: {
    'fails-open': {
      severity: 'critical',
      title: 'Requests ran without deduplication while the key store was down',
      remediation:
        'When the key store cannot be reached, refuse keyed requests at once (503 with Retry-After) instead of executing them unprotected: a retry during the outage, or after it, would run the operation again.',
      references: ['IK-10'],
    },
    'duplicate-write': {
      severity: 'critical',
      title: 'A key was forgotten across the store outage',
      remediation:
        'Keep keys in a store that survives a restart (persistence on, or the database), or rebuild them from the records before serving again; a key the client already used must still be known when the store comes back.',
      references: ['IK-10', 'IK-36'],
    },
    'outage-availability': {
      severity: 'medium',
      title: 'The target stopped answering when its key store went down',
      remediation:
        'Bound every key-store call with a short timeout and answer 503 while the store is away; reconnect when it returns, so an outage of the store is not an outage of the API.',
      references: [],
    },
  },
} as const;

type Outcome = 'executed' | 'refused' | 'hung' | 'died' | 'other';

export const storeOutage = defineAttack({
  meta,
  async run(ctx) {
    if (!hooksReady(ctx, meta)) return;
    const o = ctx.options;
    const timeoutMs = o.timeoutMs ?? Math.min(ctx.scenario.target.timeoutMs, DEFAULT_OUTAGE_TIMEOUT_MS);
    const used = ctx.newKey();
    const fresh = ctx.newKey();

    const baseline = await ctx.send(ctx.request({ label: 'before the outage', key: used }));
    if (!isSuccess(baseline)) {
      ctx.inconclusive(
        `the request before the outage was not accepted (${outcomeHistogram([baseline])}), so nothing could be judged`,
      );
      return;
    }
    if ((await step(ctx, 'storeDown')) === undefined) return;
    await ctx.sleep(o.settleMs);

    const during: Exchange[] = [];
    for (const [label, key] of [
      ['fresh key (store down)', fresh],
      ['fresh key again (store down)', fresh],
      ['used key (store down)', used],
    ] as const) {
      if (ctx.signal.aborted) return;
      const ex = await ctx.send(ctx.request({ label, key, timeoutMs }));
      during.push(ex);
      // A target that hangs or died tells all there is; more requests would only wait out the same timeout.
      const seen = outcome(ex);
      if (seen === 'hung' || seen === 'died') break;
    }
    if ((await step(ctx, 'storeUp')) === undefined) return;
    const died = during.some((ex) => outcome(ex) === 'died');
    if (died) {
      if (!ctx.hooks.declared('restart')) {
        reportAvailability(ctx, during, timeoutMs);
        ctx.inconclusive(
          'the target stopped accepting connections during the outage and the scenario declares no restart hook to bring it back; nothing after the outage could be judged',
        );
        return;
      }
      if ((await step(ctx, 'restart')) === undefined) return;
      if (ctx.hooks.declared('ready') && (await step(ctx, 'ready')) === undefined) return;
    }

    const budgets = { targetWaitMs: o.recoverWaitMs, keyWaitMs: waitBudget(ctx, ctx.contract.recoveryMs) };
    const afterFresh = await retryUntilServed(ctx, fresh, 'fresh key (store back)', budgets);
    const afterUsed = await retryUntilServed(ctx, used, 'used key (store back)', budgets);
    const after = [...afterFresh.exchanges, ...afterUsed.exchanges];
    if (ctx.signal.aborted) return;
    const lastFresh = afterFresh.exchanges.at(-1);
    const lastUsed = afterUsed.exchanges.at(-1);
    const recovered = !notServing(lastFresh) && !notServing(lastUsed);
    if (!lastFresh?.response || !lastUsed?.response) {
      reportAvailability(ctx, during, timeoutMs, after, o.recoverWaitMs);
      ctx.note(
        `after the outage the target did not answer within ${o.recoverWaitMs} ms (${outcomeHistogram(after)}); side effects not counted`,
      );
      return;
    }

    let findings = 0;
    for (const [which, key, answers] of [
      ['fresh-key', fresh, [...during.filter((e) => e.key === fresh), ...afterFresh.exchanges]],
      ['used-key', used, [baseline, ...during.filter((e) => e.key === used), ...afterUsed.exchanges]],
    ] as const) {
      const effects = await countWrites(ctx, key);
      if (effects.writes <= 1) continue;
      findings += 1;
      const ranInOutage = during.some((e) => e.key === key && outcome(e) === 'executed');
      const what = which === 'fresh-key' ? `a fresh key ${key}` : `key ${key}, used just before the outage,`;
      ctx.report({
        kind: ranInOutage ? 'fails-open' : 'duplicate-write',
        discriminator: which,
        message: ranInOutage
          ? `With the key store down, ${what} was executed without deduplication (answers during the outage: ${outcomeHistogram(during)}); the operation ran ${effects.writes} times in all (answers for the key: ${outcomeHistogram(answers)}).`
          : `The key store went down and came back, and ${what} ran ${effects.writes} times (answers for the key: ${outcomeHistogram(answers)}): the store came back without it.`,
        expected: '1 side effect',
        observed: `${effects.writes} side effects`,
        exchanges: answers,
        sideEffects: effects.verdict(1),
      });
    }
    if (reportAvailability(ctx, during, timeoutMs, recovered ? [] : after, o.recoverWaitMs)) findings += 1;
    if (findings === 0 && (!isSuccess(lastFresh) || !isSuccess(lastUsed))) {
      ctx.note(
        `after the outage the retries were answered ${outcomeHistogram([lastFresh, lastUsed])}, not with a success`,
      );
    }
  },
});

function outcome(ex: Exchange): Outcome {
  if (ex.response) {
    if (isSuccess(ex)) return 'executed';
    return isServerError(ex) ? 'refused' : 'other';
  }
  const code = ex.error?.code;
  if (code === 'timeout') return 'hung';
  if (code === 'connect-refused' || code === 'reset' || code === 'closed' || code === 'connect-timeout') return 'died';
  return 'other';
}

/**
 * The availability finding, when the target hung or died during the outage, or did not serve again
 * after it; true when one was reported.
 */
function reportAvailability(
  ctx: AttackContext<Options>,
  during: readonly Exchange[],
  timeoutMs: number,
  after: readonly Exchange[] = [],
  recoverWaitMs = 0,
): boolean {
  const hung = during.some((e) => outcome(e) === 'hung');
  const died = during.some((e) => outcome(e) === 'died');
  if (!hung && !died && after.length === 0) return false;
  const seen = hung
    ? `requests hung past the ${timeoutMs} ms timeout`
    : died
      ? 'the target stopped accepting connections (the process died with its store, or dropped them)'
      : `after the store came back the target did not serve again within ${recoverWaitMs} ms`;
  ctx.report({
    kind: 'outage-availability',
    discriminator: hung ? 'hung' : died ? 'died' : 'not-recovered',
    message: `With its key store down, ${seen} (answers during the outage: ${outcomeHistogram(during)}${after.length > 0 ? `; after it: ${outcomeHistogram(after)}` : ''}). An outage of the store became an outage of the API.`,
    expected: 'a prompt 5xx (503) during the outage, service again after it',
    observed: hung
      ? `no answer within ${timeoutMs} ms`
      : died
        ? 'connection refused or dropped'
        : 'no answer after the outage',
    exchanges: [...during, ...after],
  });
  return true;
}
