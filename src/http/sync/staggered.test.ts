import { describe, expect, it } from 'vitest';
import { MAX_RELEASE_OFFSET_MS, releaseWaves, waitUntil } from './staggered.js';

describe('releaseWaves', () => {
  it('is one wave at 0 without offsets, so a plain burst is unchanged', () => {
    expect(releaseWaves(3, undefined)).toEqual([{ offsetMs: 0, indexes: [0, 1, 2] }]);
    expect(releaseWaves(2, [0, 0])).toEqual([{ offsetMs: 0, indexes: [0, 1] }]);
    expect(releaseWaves(0, [])).toEqual([{ offsetMs: 0, indexes: [] }]);
  });

  it('groups requests by offset, earliest first, each in request order', () => {
    expect(releaseWaves(5, [10, 0, 5, 10, 0])).toEqual([
      { offsetMs: 0, indexes: [1, 4] },
      { offsetMs: 5, indexes: [2] },
      { offsetMs: 10, indexes: [0, 3] },
    ]);
  });

  it('reads missing, negative and non-finite offsets as 0, caps long ones, and starts at the earliest', () => {
    expect(releaseWaves(4, [2, -1, Number.NaN])).toEqual([
      { offsetMs: 0, indexes: [1, 2, 3] },
      { offsetMs: 2, indexes: [0] },
    ]);
    expect(releaseWaves(2, [3, 7])).toEqual([
      { offsetMs: 0, indexes: [0] },
      { offsetMs: 4, indexes: [1] },
    ]);
    expect(releaseWaves(2, [0, 1e9])[1]?.offsetMs).toBe(MAX_RELEASE_OFFSET_MS);
  });
});

describe('waitUntil', () => {
  it('returns once the clock has reached the mark, never before', async () => {
    for (const ahead of [0.3, 1, 5]) {
      const mark = performance.now() + ahead;
      expect(await waitUntil(mark, () => performance.now())).toBe(true);
      expect(performance.now()).toBeGreaterThanOrEqual(mark);
    }
  });

  it('returns false at once when a signal is or becomes aborted', async () => {
    const stopped = new AbortController();
    stopped.abort();
    expect(await waitUntil(performance.now() + 60_000, () => performance.now(), [undefined, stopped.signal])).toBe(
      false,
    );
    const later = new AbortController();
    const waiting = waitUntil(performance.now() + 60_000, () => performance.now(), [later.signal]);
    later.abort();
    expect(await waiting).toBe(false);
  });
});
