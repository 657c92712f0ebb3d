import { describe, expect, it } from 'vitest';
import type { AuditResult } from '../../result/result.js';
import { raceWindowChartSvg, raceWindowFigures, raceWindowSection } from './race-window-chart.js';

const metric = {
  sync: 'last-byte',
  copies: 2,
  requestMs: 41.2,
  maxGapMs: 41.2,
  gaps: [
    { gapMs: 0, rounds: 3, duplicates: 3, refused: 0, clientGapMs: { min: 0, median: 0, max: 0 }, serverGapMs: null },
    {
      gapMs: 5,
      rounds: 3,
      duplicates: 1,
      refused: 0,
      clientGapMs: { min: 5, median: 5.1, max: 5.3 },
      serverGapMs: { min: 4.9, median: 5, max: 5.2 },
    },
    {
      gapMs: 20,
      rounds: 2,
      duplicates: 0,
      refused: 1,
      clientGapMs: { min: 20, median: 20, max: 20.1 },
      serverGapMs: null,
    },
  ],
  notTriedGapsMs: [50],
  widestDuplicateGapMs: 5,
  widestDuplicateMeasured: { clientGapMs: 5.3, serverGapMs: 5.2 },
};

describe('race-window chart', () => {
  it('draws one bar per gap, as tall as the share of rounds that wrote twice, with the counts and measured gaps', () => {
    const f = raceWindowFigures(metric);
    expect(f?.gaps.map((g) => g.gapMs)).toEqual([0, 5, 20]);
    const svg = raceWindowChartSvg(f ?? { gaps: [] });
    const bars = [
      ...svg.matchAll(
        /<rect x="[\d.]+" y="([\d.]+)" width="30" height="([\d.]+)" fill="(#\w+)"><title>([^<]*)<\/title>/g,
      ),
    ];
    expect(bars.map((b) => [Number(b[2]), b[3]])).toEqual([
      [120, '#c62828'],
      [40, '#c62828'],
      [0, '#2e7d32'],
    ]);
    expect(bars[1]?.[4]).toBe(
      'gap 5 ms: 1 of 3 rounds wrote twice; sends 5.1 ms apart (median; 5–5.3); arrivals 5 ms apart (median; 4.9–5.2)',
    );
    expect(svg).toContain('>3/3</text>');
    expect(svg).toContain('>0/2</text>');
  });

  it('captions the window per endpoint, escapes names, and is empty without the metric or with a malformed one', () => {
    const result = {
      attacks: [
        { attack: 'race-window', endpoint: '<pay>', metrics: { raceWindow: metric } },
        { attack: 'race-window', endpoint: 'odd', metrics: { raceWindow: { gaps: 'none' } } },
        { attack: 'latency-overhead', endpoint: 'x', metrics: { latency: {} } },
      ],
    } as unknown as AuditResult;
    const html = raceWindowSection(result);
    expect(html).toContain(
      '&lt;pay&gt; › race-window: copies up to 5 ms behind the first executed again · one request ≈ 41.2 ms · released by last-byte',
    );
    expect(html.match(/<figure/g)).toHaveLength(1);
    const clean = raceWindowSection({
      attacks: [
        { attack: 'race-window', endpoint: 'ok', metrics: { raceWindow: { ...metric, widestDuplicateGapMs: null } } },
      ],
    } as unknown as AuditResult);
    expect(clean).toContain('ok › race-window: no gap wrote twice');
    expect(raceWindowSection({ attacks: [] } as unknown as AuditResult)).toBe('');
  });
});
