/**
 * How many times the target wrote for a key, judged from every observer's count. Observers are
 * not equal witnesses:
 * - recorded counts come from the target's own records for the key (a ledger query, a SQL count,
 *   the sink's applied calls, the store records the redis observer reads);
 * - inferred counts come from the answers the client got (`fromAnswers`: the responseId
 *   observer's distinct ids). An answer is taken for a write of this key, so a target that answers
 *   with another key's stored response (deduplication by body, a key collision) makes it count a
 *   write that never happened for this key.
 * When any observer reads the records, the highest recorded count decides (one recorded witness of
 * a second write is enough); the answers decide only when nothing reads the records. A
 * disagreement is described for the report.
 */
import type { SideEffects } from '../attacks/types.js';
import { ObserverError } from '../errors/errors.js';
import type { EffectCount } from '../observers/types.js';

export interface JudgedWrites {
  /** The count to judge by. */
  writes: number;
  /** Set when the answers suggest more writes than the records show: what was overruled. */
  disputed: string | undefined;
}

export function judgeWrites(key: string, counts: readonly EffectCount[]): JudgedWrites {
  const observed = Math.max(...counts.map((c) => c.count));
  const fromRecords = counts.filter((c) => c.fromAnswers !== true);
  const writes = fromRecords.length === 0 ? observed : Math.max(...fromRecords.map((c) => c.count));
  const disputed =
    observed > writes
      ? `key ${key}: the answers suggest ${observed} writes (${counts
          .filter((c) => c.count > writes)
          .map((c) => `${c.observer} ${c.count}`)
          .join(', ')}) but the target's records show ${writes} (${fromRecords
          .map((c) => `${c.observer} ${c.count}`)
          .join(
            ', ',
          )}): an answer carried a response that was not written for this key (e.g. another key's stored response); judged by the records`
      : undefined;
  return { writes, disputed };
}

/** What `ctx.sideEffects(key)` answers, from every observer's count (at least one). */
export function sideEffectsOf(key: string, counts: readonly EffectCount[]): SideEffects {
  const { writes, disputed } = judgeWrites(key, counts);
  return {
    observed: Math.max(...counts.map((c) => c.count)),
    writes,
    disputed,
    verdict: (expected) => ({ expected, observed: writes, counts }),
  };
}

/** Counting side effects on an endpoint that declares no observer is a scenario problem, said so. */
export function noObserverError(endpoint: string): ObserverError {
  return new ObserverError(
    '(none)',
    `endpoint ${endpoint} declares no observer, so side effects cannot be counted`,
    'Add `observe: [ { responseId: $.id } ]` or an http/sql observer to the endpoint.',
  );
}
