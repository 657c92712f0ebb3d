/**
 * store-audit: a white-box look at the idempotency store right after one request, through an
 * observer that can read it (the redis observer; its `facts` carry the records). No waiting for
 * a TTL to run out: the record's remaining lifetime is read directly and compared with the
 * contract, the number of records for the logical key is counted, and a record still marked in
 * progress after the answer was sent is a key the next retry will find locked.
 */
import { z } from 'zod';
import { SEVERITIES } from '../scenario/severity.js';
import { isSuccess } from '../http/exchange.js';
import type { JsonValue } from '../scenario/types.js';
import { outcomeHistogram } from './_shared/describe.js';
import { defineAttack, type AttackContext, type SideEffects } from './types.js';

const options = z.strictObject({
  /** How long a record may stay in progress after the answer (the store write may trail the response). */
  settleMs: z.number().int().min(0).max(60_000).default(500),
  /** Slack on the TTL comparison, besides the time elapsed since the request was sent. */
  ttlSlackMs: z.number().int().min(0).default(1000),
  severity: z.enum(SEVERITIES).optional(),
});
type Options = z.output<typeof options>;

interface RecordFact {
  key: string;
  pttlMs: number;
  state: string | null;
  inProgress: boolean;
}

function isRecordFact(v: JsonValue): v is JsonValue & RecordFact {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof v['key'] === 'string' &&
    typeof v['pttlMs'] === 'number' &&
    typeof v['inProgress'] === 'boolean'
  );
}

/** The records the first store-reading observer reported, or undefined when none reads a store. */
function storeRecords(effects: SideEffects): { observer: string; records: RecordFact[] } | undefined {
  for (const c of effects.verdict(1).counts) {
    const records = c.facts?.['records'];
    if (c.facts?.['store'] === undefined || !Array.isArray(records)) continue;
    return { observer: c.observer, records: records.filter(isRecordFact) };
  }
  return undefined;
}

function formatMs(ms: number): string {
  if (ms < 0) return 'no expiry';
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 1000).toFixed(1)} s`;
}

export const storeAudit = defineAttack({
  meta: {
    id: 'store-audit',
    title: 'The idempotency record in the store, read directly',
    description:
      'Sends one request and reads its record(s) from the store through a white-box observer (redis): more than one record for the key, a remaining TTL shorter than the contract, or a record still in progress after the answer.',
    sends: 'one request, then its record read through the `redis` observer (no waiting)',
    finds: '`ttl-too-short`, `duplicate-record`, `stuck-in-progress` (high)',
    options,
    timingDependent: false,
    notReplayable: 'its findings are read from the key store right after the request, not from the answers',
    findings: {
      'ttl-too-short': {
        severity: 'high',
        title: 'The key is stored for less time than the contract promises',
        remediation:
          'Set the record expiry from the documented retention (e.g. PX 86400000 for 24 h) when the record is created, and do not shorten it when the response is stored.',
        references: ['IK-36', 'IK-38'],
      },
      'duplicate-record': {
        severity: 'high',
        title: 'One logical key has several records in the store',
        remediation:
          'Derive the record key only from the scope and the client key (not from per-request data such as a timestamp or request id), so every request for a key meets the same record.',
        references: ['IK-24', 'IK-30'],
      },
      'stuck-in-progress': {
        severity: 'high',
        title: 'The record stays in progress after the request finished',
        remediation:
          'Mark the record done with the stored response before (or atomically with) sending the answer, and release it in a finally block when execution fails.',
        references: ['IK-27', 'IK-28', 'IK-39'],
      },
    },
  },
  async run(ctx: AttackContext<Options>) {
    const o = ctx.options;
    const key = ctx.newKey();
    const sentAt = Date.now();
    const first = await ctx.send(ctx.request({ label: 'first', key }));
    if (!isSuccess(first)) {
      ctx.inconclusive(`the request was not accepted (${outcomeHistogram([first])}), so no record to audit`);
      return;
    }
    const effects = await ctx.sideEffects(key);
    // PTTL was read after the answer: the record may be up to this much older than the request.
    const elapsed = Date.now() - sentAt;
    const store = storeRecords(effects);
    if (store === undefined) {
      ctx.skip('no observer of this endpoint reads the idempotency store (add observe: - redis: …)');
      return;
    }
    const { records } = store;
    if (records.length === 0) {
      ctx.inconclusive(
        `the ${store.observer} observer found no record for key ${key} after a successful answer; check its key template`,
      );
      return;
    }
    const severity = o.severity === undefined ? {} : { severity: o.severity };
    ctx.metric('store', { records: records.map((r) => ({ ...r })) });

    if (records.length > 1) {
      ctx.report({
        kind: 'duplicate-record',
        ...severity,
        message: `One request with key ${key} left ${records.length} records in the store: ${records.map((r) => r.key).join(', ')}.`,
        expected: '1 record per logical key',
        observed: `${records.length} records`,
        exchanges: [first],
      });
    }

    const floor = ctx.contract.ttlMs - elapsed - o.ttlSlackMs;
    const short = records.filter((r) => r.pttlMs >= 0 && r.pttlMs < floor);
    if (short.length > 0) {
      const shortest = Math.min(...short.map((r) => r.pttlMs));
      ctx.report({
        kind: 'ttl-too-short',
        ...severity,
        message: `Right after the request with key ${key}, its record expires in ${formatMs(shortest)} (PTTL ${shortest} ms), although the contract promises ${formatMs(ctx.contract.ttlMs)}: a retry after that executes again.`,
        expected: `a remaining TTL of about ${formatMs(ctx.contract.ttlMs)}`,
        observed: `PTTL ${shortest} ms`,
        exchanges: [first],
      });
    }
    if (records.some((r) => r.pttlMs === -1)) ctx.note('a record has no expiry: keys are kept forever');

    let stuck = records.filter((r) => r.inProgress);
    if (stuck.length > 0 && o.settleMs > 0) {
      await ctx.sleep(o.settleMs);
      stuck = storeRecords(await ctx.sideEffects(key))?.records.filter((r) => r.inProgress) ?? [];
    }
    if (stuck.length > 0) {
      ctx.report({
        kind: 'stuck-in-progress',
        ...severity,
        message: `${o.settleMs} ms after the request with key ${key} was answered ${first.response?.status}, its record is still '${stuck[0]?.state ?? ''}'.`,
        expected: 'the record completed with the response',
        observed: `state ${stuck.map((r) => r.state).join(', ')}`,
        exchanges: [first],
      });
    }
  },
});
