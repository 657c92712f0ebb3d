import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from './suggest.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['concurent-burst', 'concurrent-burst', 1],
    ['baesUrl', 'baseUrl', 1],
  ] as const)('%s / %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('closest', () => {
  const keys = ['version', 'name', 'target', 'contract', 'endpoints', 'settings'];
  it('finds near misses, case-insensitively', () => {
    expect(closest('endpoint', keys)).toBe('endpoints');
    expect(closest('Target', keys)).toBe('target');
    expect(closest('setings', keys)).toBe('settings');
  });
  it('gives up on unrelated words', () => {
    expect(closest('banana', keys)).toBeUndefined();
    expect(closest('x', keys)).toBeUndefined();
  });
  it('formats a hint', () => {
    expect(didYouMean('concurent-burst', ['missing-key', 'concurrent-burst'])).toBe("did you mean 'concurrent-burst'?");
    expect(didYouMean('zzz', ['missing-key'])).toBeUndefined();
  });
});
