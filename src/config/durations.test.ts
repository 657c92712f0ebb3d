import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.js';

describe('parseDuration', () => {
  it.each([
    [500, 500],
    [0, 0],
    ['500ms', 500],
    ['5s', 5_000],
    ['2m', 120_000],
    ['24h', 86_400_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1m30s250ms', 90_250],
    ['5000', 5_000],
    [' 5s ', 5_000],
  ] as const)('%s -> %s ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([['5 parsecs'], [''], ['s'], ['5'.repeat(0) + 'ms'], ['1.5s'], ['-5s'], ['5S'], ['5s 3m'], ['1w'], ['5sx']])(
    'rejects %j',
    (input) => {
      expect(parseDuration(input)).toBeUndefined();
    },
  );

  it('rejects negative and non-finite numbers', () => {
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.NaN)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('rejects totals beyond the safe integer range', () => {
    expect(parseDuration('99999999999999999999d')).toBeUndefined();
  });
});
