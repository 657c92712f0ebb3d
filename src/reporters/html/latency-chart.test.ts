import { describe, expect, it } from 'vitest';
import type { AuditResult } from '../../result/result.js';
import { latencyChartSvg, latencySection } from './latency-chart.js';

const latency = {
  first: { count: 30, p50: 46.7, p95: 50.9, p99: 58.5, max: 66 },
  unkeyed: { count: 30, p50: 26.2, p95: 31, p99: 38.9, max: 78 },
  overhead: { p50: 20.5, p95: 19.9, p99: 19.6, max: -12 },
  limit: { p99: 10 },
};

describe('latency chart', () => {
  it('draws one bar per class and percentile on a shared scale', () => {
    const svg = latencyChartSvg(latency);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(6);
    // The largest value spans the plot; the others are proportional.
    expect(svg).toMatch(/width="480\.0"[^>]*><title>first-time \(keyed\) p99: 58\.5 ms/);
    expect(svg).not.toMatch(/replay/);
  });

  it('captions the overhead and its limit, escapes names, and is empty without metrics', () => {
    const result = {
      attacks: [
        { attack: 'latency-overhead', endpoint: '<pay>', metrics: { latency } },
        { attack: 'x', endpoint: 'y' },
      ],
    } as unknown as AuditResult;
    const html = latencySection(result);
    expect(html).toMatch(
      /&lt;pay&gt; › latency-overhead: key overhead p50 20\.5 ms, p95 19\.9 ms, p99 19\.6 ms \(limit 10\)/,
    );
    expect(latencySection({ attacks: [] } as unknown as AuditResult)).toBe('');
  });
});
