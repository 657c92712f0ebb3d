/**
 * The fast-check loop of the attacks that generate their cases (payload-mismatch, key-format):
 * one seed drawn from the attack's seeded stream (so `--seed` replays the same values and the
 * same shrinking path), `runs` generated values, fast-check's shrinking bounded by `maxShrinks`
 * request-sending attempts, and an optional extra shrinking step for what fast-check misses.
 *
 * One rule for what a thrown error means, whichever attack runs the loop:
 * - a finding is a value `check` judges failing: it is kept and shrunk; a transport failure never
 *   throws (the exchange simply has no answer), so `check` judges it, usually as not judgeable;
 * - an IdemAuditError from the context (request budget exhausted, run interrupted, an observer
 *   that cannot count) means the audit cannot go on: no further value is tried and the error is
 *   returned as `stopped`, so the caller still reports what it found, then rethrows it;
 * - anything else is a bug in the attack: no further value is tried (fast-check would otherwise
 *   shrink the bug like a finding, sending requests for it) and it is rethrown here, before any
 *   finding is reported, because a judgement made by broken code cannot be trusted.
 */
import fc from 'fast-check';
import { IdemAuditError } from '../../errors/errors.js';
import type { AttackContext } from '../types.js';

export interface PropertySpec<T, F> {
  arbitrary: fc.Arbitrary<T>;
  /** Generated values before shrinking. */
  runs: number;
  /** Attempts after the first failure (each may send requests): fast-check's shrinking and `smaller` together. */
  maxShrinks: number;
  /** Judges one value: its failure, or undefined when it passed or could not be judged. */
  check(value: T): Promise<F | undefined>;
  /** Whether a failure met while shrinking still counts, given the first one (default: every failure does). */
  keeps?(failure: F, first: F): boolean;
  /** Smaller candidates of a failing value that fast-check's shrinking does not try, tried until none fails. */
  smaller?(value: T): readonly T[];
}

export interface PropertyOutcome<T, F> {
  /** The fast-check seed, for the report. */
  seed: number;
  /** The smallest failing value found, with its failure. */
  counterexample: { value: T; failure: F } | undefined;
  /** fast-check's path to the counterexample; undefined when shrinking stopped early. */
  path: string | undefined;
  /** fast-check's successful shrinks. */
  shrinks: number;
  /** Successful `smaller` steps after fast-check's shrinking. */
  extraShrinks: number;
  /** Why the loop stopped early (budget, interruption, observer): rethrow it once the findings are reported. */
  stopped: IdemAuditError | undefined;
}

export async function runProperty<T, F>(
  ctx: Pick<AttackContext<unknown>, 'rng' | 'signal'>,
  spec: PropertySpec<T, F>,
): Promise<PropertyOutcome<T, F>> {
  const seed = ctx.rng.nextSeed();
  let best: { value: T; failure: F } | undefined;
  let first: F | undefined;
  let attempts = 0;
  let stopped: IdemAuditError | undefined;
  let bug: Error | undefined;

  // fast-check reads `false` as "this value fails"; every value that must not count returns true.
  const predicate = async (value: T): Promise<boolean> => {
    if (stopped !== undefined || bug !== undefined || ctx.signal.aborted) return true;
    if (first !== undefined && attempts++ >= spec.maxShrinks) return true;
    let failure: F | undefined;
    try {
      failure = await spec.check(value);
    } catch (err) {
      if (err instanceof IdemAuditError) stopped = err;
      else bug = err instanceof Error ? err : new Error(`non-error thrown: ${typeof err}`);
      return true;
    }
    if (failure === undefined) return true;
    if (first !== undefined && spec.keeps && !spec.keeps(failure, first)) return true;
    first ??= failure;
    best = { value, failure };
    return false;
  };

  const result = await fc.check(fc.asyncProperty(spec.arbitrary, predicate), { seed, numRuns: spec.runs });
  let extraShrinks = 0;
  let progress = spec.smaller !== undefined;
  while (progress && best !== undefined && stopped === undefined && bug === undefined) {
    progress = false;
    for (const candidate of spec.smaller?.(best.value) ?? []) {
      if (!(await predicate(candidate))) {
        extraShrinks++;
        progress = true;
        break;
      }
    }
  }
  if (bug !== undefined) throw bug;
  return {
    seed,
    counterexample: best,
    path: result.counterexamplePath ?? undefined,
    shrinks: result.numShrinks,
    extraShrinks,
    stopped,
  };
}
