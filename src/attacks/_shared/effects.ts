/**
 * How many times the target wrote for a key, as evidence for a duplicate-write (or a "never
 * executed") claim. Observers are not equal witnesses:
 * - recorded counts come from the target's own records for the key (a ledger query, a SQL count,
 *   the sink's applied calls, the store records the redis observer reads);
 * - inferred counts come from the answers the client got (the responseId observer's distinct ids).
 * An inferred count takes an answer for a write of this key; a target that answers with another
 * key's stored response (deduplication by body, a key collision) makes it count a write that
 * never happened for this key. So when any observer reads the records, the highest recorded count
 * decides (one recorded witness of a second write is enough); the answers decide only when
 * nothing reads the records. A disagreement is returned as a remark for the report.
 */
import type { SideEffectVerdict } from '../../findings/finding.js';
import type { EffectCount } from '../../observers/types.js';
import type { SideEffects } from '../types.js';

/** Observers whose whole count is inferred from the answers the client received. */
const ANSWER_OBSERVERS: readonly string[] = ['responseId'];

export interface Writes {
  /** The count to judge by. */
  readonly count: number;
  /** Set when the answers suggest more writes than the records show: what was overruled, for a note. */
  readonly disputed: string | undefined;
  /** The verdict for a report, judged by `count`, with every observer's count as evidence. */
  verdict(expected: number): SideEffectVerdict;
}

/**
 * The observer's count if it reads the target's records for the key, else undefined. The redis
 * observer's count includes "orphan" answers (successful answers no stored record accounts for): that
 * part is inferred too, but it is also its only witness of a duplicate that overwrote the record, so
 * its count is taken whole.
 */
function recorded(c: EffectCount): number | undefined {
  return ANSWER_OBSERVERS.includes(c.observer) ? undefined : c.count;
}

export function writesFor(key: string, effects: SideEffects): Writes {
  const counts = effects.verdict(0).counts;
  const fromRecords = counts.map((c) => ({ c, n: recorded(c) })).filter((x) => x.n !== undefined);
  const count = fromRecords.length === 0 ? effects.observed : Math.max(...fromRecords.map((x) => x.n ?? 0));
  const disputed =
    effects.observed > count
      ? `key ${key}: the answers suggest ${effects.observed} writes (${counts
          .filter((c) => c.count > count)
          .map((c) => `${c.observer} ${c.count}`)
          .join(', ')}) but the target's records show ${count} (${fromRecords
          .map((x) => `${x.c.observer} ${x.n}`)
          .join(
            ', ',
          )}): an answer carried a response that was not written for this key (e.g. another key's stored response); judged by the records`
      : undefined;
  return { count, disputed, verdict: (expected) => ({ expected, observed: count, counts }) };
}

/** Counts the writes for `key` and leaves a note when the answers and the records disagree. */
export async function countWrites(
  ctx: { sideEffects(key: string): Promise<SideEffects>; note(text: string): void },
  key: string,
): Promise<Writes> {
  const w = writesFor(key, await ctx.sideEffects(key));
  if (w.disputed !== undefined) ctx.note(w.disputed);
  return w;
}
