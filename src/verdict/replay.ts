/**
 * Whether a finding still reproduces when its requests are sent again. Side-effect findings are
 * judged per key with the writes the attacks judge by (records over answers): summing across keys
 * would turn two correct single writes into a "duplicate". Answer findings reproduce when the
 * answers come back the same. A replay that could not be judged is said to be inconclusive, never
 * "not reproduced".
 */
import type { SideEffectVerdict } from '../findings/finding.js';

export interface ReplayVerdict {
  /** undefined: could not be judged. */
  reproduced: boolean | undefined;
  detail: string;
}

/** Judged writes per replayed key (original key → writes now). */
export type WritesByKey = ReadonlyMap<string, number>;

export function judgeReplayedEffects(recorded: SideEffectVerdict, writes: WritesByKey): ReplayVerdict {
  if (writes.size === 0) return { reproduced: undefined, detail: 'no replayed request carried a key to count' };
  const values = [...writes.values()];
  const tooMany = recorded.observed > recorded.expected;
  const worst = tooMany ? Math.max(...values) : Math.min(...values);
  const reproduced = tooMany ? worst > recorded.expected : worst < recorded.expected;
  const perKey = values.length === 1 ? `${worst}` : `${values.join(', ')} for ${values.length} keys`;
  return {
    reproduced,
    detail: `side effects per key: expected ${recorded.expected}, now ${perKey} (recorded ${recorded.observed})`,
  };
}

export function judgeReplayedAnswers(before: readonly string[], now: readonly string[]): ReplayVerdict {
  const same = now.length === before.length && now.every((o, i) => o === before[i]);
  return { reproduced: same, detail: `answers now ${now.join(' ')}; recorded ${before.join(' ')}` };
}
