import { describe, expect, it } from 'vitest';
import type { AttackResult } from '../result/result.js';
import { latencyTable } from './latency-table.js';

const base: AttackResult = {
  attack: 'latency-overhead',
  endpoint: 'pay',
  title: 't',
  status: 'failed',
  notes: [],
  requests: 90,
  durationMs: 1000,
  findings: 1,
  bursts: [],
};

describe('latencyTable', () => {
  it('renders one row per measured class and the overhead against its limit', () => {
    const text = latencyTable(
      [
        {
          ...base,
          metrics: {
            latency: {
              unit: 'ms',
              first: { count: 30, p50: 42.1, p95: 44, p99: 50.5, max: 51, mean: 42 },
              replay: { count: 30, p50: 41, p95: 43, p99: 45, max: 46, mean: 41 },
              unkeyed: { count: 30, p50: 2.1, p95: 3, p99: 4, max: 5, mean: 2 },
              overhead: { p50: 40, p95: 41, p99: 46.5, max: 46 },
              limit: { p99: 20 },
            },
          },
        },
      ],
      false,
    );
    expect(text).toMatch(/first-time \(keyed\).*30.*42\.1.*44.*50\.5.*51/);
    expect(text).toMatch(/no key.*2\.1/);
    expect(text).toMatch(/key overhead.*40.*46\.5 \(≤ 20\)/);
  });

  it('renders nothing for endpoints without latency metrics', () => {
    expect(latencyTable([base], false)).toBeUndefined();
  });
});
