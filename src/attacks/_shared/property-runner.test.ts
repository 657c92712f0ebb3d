import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ObserverError, RequestBudgetError } from '../../errors/errors.js';
import { Rng } from '../../random/rng.js';
import { runProperty, type PropertySpec } from './property-runner.js';

const ctx = (seed = 1, signal = new AbortController().signal): { rng: Rng; signal: AbortSignal } => ({
  rng: new Rng(seed),
  signal,
});

/** Integers 0..1000 where every value ≥ 100 "fails"; records each value judged. */
function spec(judged: number[], over: Partial<PropertySpec<number, number>> = {}): PropertySpec<number, number> {
  return {
    arbitrary: fc.integer({ min: 0, max: 1000 }),
    runs: 50,
    maxShrinks: 100,
    check: (n) => {
      judged.push(n);
      return Promise.resolve(n >= 100 ? n : undefined);
    },
    ...over,
  };
}

describe('runProperty', () => {
  it('shrinks a failure to the smallest failing value and reports seed, path and shrinks', async () => {
    const r = await runProperty(ctx(), spec([]));
    expect(r.counterexample).toEqual({ value: 100, failure: 100 });
    expect(r.path).toMatch(/^\d+(:\d+)*$/);
    expect(r.shrinks).toBeGreaterThan(0);
    expect(r.stopped).toBeUndefined();
  });

  it('draws its seed from the attack stream: the same stream replays the same values', async () => {
    const a: number[] = [];
    const b: number[] = [];
    const ra = await runProperty(ctx(7), spec(a));
    const rb = await runProperty(ctx(7), spec(b));
    expect(ra.seed).toBe(new Rng(7).nextSeed());
    expect(b).toEqual(a);
    expect(rb.path).toBe(ra.path);
    const other: number[] = [];
    await runProperty(ctx(8), spec(other));
    expect(other).not.toEqual(a);
  });

  it('bounds the attempts after the first failure by maxShrinks', async () => {
    const judged: number[] = [];
    const r = await runProperty(ctx(), spec(judged, { maxShrinks: 3 }));
    const firstFailure = judged.findIndex((n) => n >= 100);
    expect(judged.length - firstFailure - 1).toBe(3);
    expect(r.counterexample?.value).toBeGreaterThanOrEqual(100);
  });

  it('passes when nothing fails, judging exactly `runs` values', async () => {
    const judged: number[] = [];
    const r = await runProperty(ctx(), spec(judged, { arbitrary: fc.integer({ min: 0, max: 99 }), runs: 20 }));
    expect(r.counterexample).toBeUndefined();
    expect(judged).toHaveLength(20);
  });

  it('ignores failures that `keeps` rejects while shrinking', async () => {
    // Values ≥ 100 fail; once the first failure is seen, only failures of its parity count.
    const judged: number[] = [];
    const r = await runProperty(ctx(3), spec(judged, { keeps: (f, first) => f % 2 === first % 2 }));
    const firstAt = judged.findIndex((n) => n >= 100);
    const first = judged[firstAt] ?? -1;
    const value = r.counterexample?.value ?? -1;
    expect(value % 2).toBe(first % 2);
    expect(value).toBeGreaterThanOrEqual(100);
    expect(value).toBeLessThan(first);
    // Failures of the other parity were met while shrinking, and passed over.
    expect(judged.slice(firstAt).some((n) => n >= 100 && n % 2 !== first % 2)).toBe(true);
  });

  it('tries the extra `smaller` candidates after fast-check and counts the steps', async () => {
    // fast-check shrinks arrays from the front; a failing element at the end is only isolated by dropping others.
    const r = await runProperty(ctx(), {
      arbitrary: fc.constant<number[]>([1, 2, 3, 4, 99]),
      runs: 1,
      maxShrinks: 100,
      check: (xs) => Promise.resolve(xs.includes(99) ? xs.length : undefined),
      smaller: (xs) => xs.map((_, i) => xs.filter((_, j) => j !== i)),
    });
    expect(r.counterexample?.value).toEqual([99]);
    expect(r.extraShrinks).toBeGreaterThan(0);
  });

  it('stops at an IdemAuditError (budget, observer), keeps the failure found and returns the error', async () => {
    const judged: number[] = [];
    let calls = 0;
    const r = await runProperty(
      ctx(),
      spec(judged, {
        check: (n) => {
          calls++;
          judged.push(n);
          if (judged.some((x) => x >= 100) && calls > judged.findIndex((x) => x >= 100) + 2)
            return Promise.reject(new RequestBudgetError(10));
          return Promise.resolve(n >= 100 ? n : undefined);
        },
      }),
    );
    expect(r.stopped).toBeInstanceOf(RequestBudgetError);
    expect(r.counterexample?.failure).toBeGreaterThanOrEqual(100);
    expect(calls).toBe(judged.length);
    // Nothing was judged after the error.
    expect(judged.length).toBe(judged.findIndex((x) => x >= 100) + 3);

    const observer = await runProperty(
      ctx(),
      spec([], { check: () => Promise.reject(new ObserverError('http', 'x')) }),
    );
    expect(observer.stopped).toBeInstanceOf(ObserverError);
    expect(observer.counterexample).toBeUndefined();
  });

  it('rethrows a bug in the attack at once, without shrinking it like a finding', async () => {
    let calls = 0;
    const bug = new TypeError('cannot read x of undefined');
    await expect(
      runProperty(
        ctx(),
        spec([], {
          check: () => {
            calls++;
            return Promise.reject(bug);
          },
        }),
      ),
    ).rejects.toBe(bug);
    expect(calls).toBe(1);
  });

  it('judges nothing once the run is interrupted', async () => {
    const ac = new AbortController();
    ac.abort();
    const judged: number[] = [];
    const r = await runProperty(ctx(1, ac.signal), spec(judged));
    expect(judged).toEqual([]);
    expect(r.counterexample).toBeUndefined();
  });
});
