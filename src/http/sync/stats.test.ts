import { describe, expect, it } from 'vitest';
import { burstStatsBySync, spreadStats } from './stats.js';

describe('spreadStats', () => {
  it('computes best, mean, SD, median and range', () => {
    expect(spreadStats([4, 1, 3, 2])).toEqual({
      count: 4,
      best: 1,
      worst: 4,
      mean: 2.5,
      sd: Math.sqrt(1.25),
      median: 2.5,
      range: 3,
    });
    expect(spreadStats([5])).toEqual({ count: 1, best: 5, worst: 5, mean: 5, sd: 0, median: 5, range: 0 });
    expect(spreadStats([])).toBeUndefined();
  });

  it('groups bursts by sync mode and skips missing arrivals', () => {
    const s = burstStatsBySync([
      { sync: 'last-byte', releaseSpreadMs: 0.2, arrivalSpreadMs: 1 },
      { sync: 'last-byte', releaseSpreadMs: 0.4, arrivalSpreadMs: undefined },
      { sync: 'single-packet', releaseSpreadMs: undefined, arrivalSpreadMs: 0.1 },
    ]);
    expect(s['last-byte']?.bursts).toBe(2);
    expect(s['last-byte']?.release?.median).toBeCloseTo(0.3);
    expect(s['last-byte']?.arrival?.count).toBe(1);
    expect(s['single-packet']?.release).toBeUndefined();
  });
});
