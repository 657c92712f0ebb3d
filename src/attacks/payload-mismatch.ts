/**
 * payload-mismatch (IK-17, IK-18, IK-22): the same key with a changed request. fast-check
 * generates the changes from the endpoint's body and `vary` hints (values, types, added and
 * removed fields, nested values, query string, method, content type); each case runs on a fresh
 * key, and the first failure is shrunk to the smallest change the target still gets wrong.
 */
import { z } from 'zod';
import type { Exchange } from '../http/exchange.js';
import { isSuccess } from '../http/exchange.js';
import type { Severity } from '../findings/severity.js';
import { classifyMismatch, judgeControl, type MismatchVerdict } from './_shared/classify.js';
import { hasStatus, outcomeHistogram, plural } from './_shared/describe.js';
import {
  applyMutations,
  describeMutation,
  isUnchanged,
  mutationCaseArb,
  simpleMismatch,
  type MutableRequest,
  type Mutation,
} from './_shared/mutations.js';
import { runProperty } from './_shared/property-runner.js';
import type { AttackContext } from './types.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** Generated cases (each on a fresh key, 2-4 requests plus the observers' queries). */
  runs: z.number().int().min(1).max(10_000).default(50),
  /** Mutations combined in one case before shrinking. */
  maxMutations: z.number().int().min(1).max(8).default(3),
  /** Shrink attempts that send requests, after the first failure. */
  maxShrinks: z.number().int().min(0).max(10_000).default(100),
  /** After a rejected mismatch, resend the original with the same key: it must still be answered as before (IK-22). */
  overwriteCheck: z.boolean().default(true),
});
type Options = z.infer<typeof options>;

type FailureKind = 'mismatch-executed' | 'mismatch-replayed' | 'mismatch-status';

const SEVERITY_RANK: Readonly<Record<FailureKind, number>> = {
  'mismatch-status': 1,
  'mismatch-replayed': 2,
  'mismatch-executed': 3,
};

interface Failure {
  kind: FailureKind;
  detail: string;
  mutations: readonly Mutation[];
  key: string;
  exchanges: Exchange[];
}

interface MismatchRunStats {
  /** Cases that sent requests (generated and shrink attempts). */
  cases: number;
  judged: number;
  discarded: number;
  baselineFailed: number;
  /** Discarded because an answer carried a response not written for the case's key (see engine/side-effects.ts). */
  foreign: number;
}

export const payloadMismatch = defineAttack({
  meta: {
    id: 'payload-mismatch',
    title: 'The same key with a different request',
    description:
      'Reuses a key with a changed body, query string, method or content type (generated and shrunk by fast-check). A correct target rejects the change with the mismatch status and never executes or replays it.',
    options,
    timingDependent: false,
    findings: {
      'mismatch-executed': {
        severity: 'critical',
        title: 'A different request with a reused key executed',
        remediation:
          'Store a fingerprint of the request (method, path, query, canonical body) with the key and reject a reuse whose fingerprint differs before executing.',
        references: ['IK-17', 'IK-18'],
      },
      'mismatch-replayed': {
        severity: 'high',
        title: 'A different request with a reused key got the stored response',
        remediation:
          'Compare the fingerprint of every field that changes the operation (all body fields, query, method) before replaying, and answer a difference with the mismatch status.',
        references: ['IK-17', 'IK-18', 'IK-22'],
      },
      'mismatch-overwrote': {
        severity: 'high',
        title: 'A rejected mismatch replaced the stored request',
        remediation:
          'Never write to the stored record on a mismatch: reject it before touching the store, so the original request keeps its fingerprint and response.',
        references: ['IK-22'],
      },
      'mismatch-status': {
        severity: 'low',
        title: 'A mismatch was rejected with an undocumented status',
        remediation: 'Reject key reuse with a different request with the documented status (422 per the IETF draft).',
        references: ['IK-17'],
      },
    },
  },
  run: runPayloadMismatch,
});

async function runPayloadMismatch(ctx: AttackContext<Options>): Promise<void> {
  const o = ctx.options;
  const base: MutableRequest = {
    method: ctx.endpoint.request.method,
    path: ctx.endpoint.request.path,
    body: ctx.endpoint.request.body,
  };
  const stats: MismatchRunStats = { cases: 0, judged: 0, discarded: 0, baselineFailed: 0, foreign: 0 };
  const run = await runProperty(ctx, {
    arbitrary: mutationCaseArb(base, ctx.endpoint.vary, o.maxMutations),
    runs: o.runs,
    maxShrinks: o.maxShrinks,
    async check(mutations: Mutation[]): Promise<Failure | undefined> {
      if (isUnchanged(base, applyMutations(base, mutations))) return undefined;
      const verdict = await judgeCase(ctx, base, mutations, stats);
      return verdict?.kind === 'fail' ? verdict.failure : undefined;
    },
    // Shrinking keeps the kind of the first failure, so a critical case never shrinks into a low one.
    keeps: (failure, first) => SEVERITY_RANK[failure.kind] >= SEVERITY_RANK[first.kind],
    // fast-check shrinks an array by dropping items from its front; dropping any single mutation finds a smaller case it misses.
    smaller: (mutations) => (mutations.length > 1 ? mutations.map((_, i) => mutations.filter((_, j) => j !== i)) : []),
  });
  const judgedLine = `${plural(stats.cases, 'case')} sent (${stats.judged} judged, ${stats.discarded} not judgeable, ${stats.baselineFailed} without an accepted original${stats.foreign > 0 ? `, ${stats.foreign} whose answers carried responses the key's records do not show, e.g. another key's stored response` : ''}); fast-check seed ${run.seed}`;
  ctx.note(judgedLine);

  const failure = run.counterexample?.failure;
  if (failure) {
    const minimal = failure.mutations.map((m) => describeMutation(base, m)).join('; ');
    const path = run.path ?? '(shrinking stopped early)';
    ctx.report({
      kind: failure.kind,
      severity: severityFor(failure.kind),
      message: `Key ${failure.key} was reused with a changed request and the target ${failure.detail}. Smallest change found: ${minimal}. fast-check seed ${run.seed}, path ${path}, after ${plural(run.shrinks, 'shrink')}${run.extraShrinks > 0 ? ` and ${plural(run.extraShrinks, 'mutation')} dropped one by one` : ''}.`,
      expected: `rejected with ${ctx.contract.onMismatch.join('/')}, no new side effect`,
      observed: failure.detail,
      exchanges: failure.exchanges,
    });
  }
  if (run.stopped) throw run.stopped;
  if (o.overwriteCheck && !failure) await overwriteCheck(ctx, base);
  if (!failure && stats.judged === 0 && stats.foreign > 0 && stats.foreign === stats.discarded) {
    ctx.skip(
      `in every case the answers carried responses the key's records do not show (another key's stored response, replayed for the same content?), so the key was never bound to the original request; distinct-keys judges deduplication across keys`,
    );
  } else if (!failure && stats.judged === 0) {
    ctx.inconclusive(
      stats.baselineFailed > 0
        ? 'the original request was never accepted, so no mismatch could be judged'
        : 'no generated mismatch could be judged',
    );
  }
}

function severityFor(kind: FailureKind): Severity {
  return kind === 'mismatch-executed' ? 'critical' : kind === 'mismatch-replayed' ? 'high' : 'low';
}

type CaseVerdict = { kind: 'pass' } | { kind: 'discard' } | { kind: 'fail'; failure: Failure };

/** One case: original with a fresh key, the changed request with the same key, and a control if needed. */
async function judgeCase(
  ctx: AttackContext<Options>,
  base: MutableRequest,
  mutations: readonly Mutation[],
  stats: MismatchRunStats,
): Promise<CaseVerdict | undefined> {
  stats.cases++;
  const n = stats.cases;
  const key = ctx.newKey();
  const original = await ctx.send(ctx.request({ label: `case[${n}] original`, key }));
  if (!isSuccess(original)) {
    stats.baselineFailed++;
    return undefined;
  }
  const changed = applyMutations(base, mutations);
  const spec = (label: string, k: string): ReturnType<typeof ctx.request> =>
    ctx.request({
      label,
      key: k,
      method: changed.method,
      path: changed.path,
      body: changed.body,
      ...(changed.contentType !== undefined ? { headers: { 'content-type': changed.contentType } } : {}),
    });
  const mutated = await ctx.send(spec(`case[${n}] changed`, key));
  const effects = await ctx.sideEffects(key);
  // The answers suggest more writes than the records show: the original or the changed request was
  // answered with a response written for another key, so the key was not bound to the original.
  if (effects.disputed !== undefined && effects.writes <= 1) {
    stats.discarded++;
    stats.foreign++;
    return { kind: 'discard' };
  }
  const first: MismatchVerdict | { kind: 'needs-control' } = classifyMismatch({
    mutated,
    effects: effects.writes,
    contract: ctx.contract,
    methodChanged: mutations.some((m) => m.kind === 'method'),
    contentTypeOnly: mutations.every((m) => m.kind === 'content-type'),
  });
  const exchanges = [original, mutated];
  let verdict: MismatchVerdict;
  if (first.kind === 'needs-control') {
    const control = await ctx.send(spec(`case[${n}] control (fresh key)`, ctx.newKey()));
    exchanges.push(control);
    verdict = judgeControl(mutated, control, ctx.contract);
  } else {
    verdict = first;
  }
  if (verdict.kind === 'pass') {
    stats.judged++;
    return { kind: 'pass' };
  }
  if (verdict.kind === 'discard') {
    stats.discarded++;
    return { kind: 'discard' };
  }
  stats.judged++;
  return {
    kind: 'fail',
    failure: {
      kind: verdict.kind,
      detail: `${verdict.detail} (answers: ${outcomeHistogram(exchanges)})`,
      mutations,
      key,
      exchanges,
    },
  };
}

/**
 * IK-22: a mismatch attempt must not overwrite the original. The original with key K, a simple
 * mismatch with K (rejected, or there is nothing to check), then the original again with K: it must
 * be answered as the stored original, neither refused as a mismatch (the store now holds the
 * changed request) nor executed again (the store lost the key).
 */
async function overwriteCheck(ctx: AttackContext<Options>, base: MutableRequest): Promise<void> {
  const key = ctx.newKey();
  const original = await ctx.send(ctx.request({ label: 'overwrite check: original', key }));
  if (!isSuccess(original)) return;
  const changed = applyMutations(base, [simpleMismatch(base)]);
  const mismatch = await ctx.send(
    ctx.request({
      label: 'overwrite check: mismatch',
      key,
      method: changed.method,
      path: changed.path,
      body: changed.body,
    }),
  );
  if (!hasStatus(mismatch, ctx.contract.onMismatch)) return;
  const again = await ctx.send(ctx.request({ label: 'overwrite check: original again', key }));
  if (!again.response) return;
  const writes = await ctx.sideEffects(key);
  const refused = hasStatus(again, ctx.contract.onMismatch);
  if (!refused && writes.writes <= 1) return;
  const what = refused
    ? `refused the original itself with ${again.response.status}: the rejected mismatch replaced the stored request`
    : `executed the original again (${writes.writes} side effects): the rejected mismatch made the target forget the key`;
  ctx.report({
    kind: 'mismatch-overwrote',
    message: `Key ${key}: after a mismatching request was rejected (${outcomeHistogram([mismatch])}), the target ${what} (answers: ${outcomeHistogram([original, mismatch, again])}).`,
    expected: 'the original answered as before (the stored response)',
    observed: refused ? `${again.response.status} for the original` : `${writes.writes} side effects`,
    exchanges: [original, mismatch, again],
    ...(refused ? {} : { sideEffects: writes.verdict(1) }),
  });
}
