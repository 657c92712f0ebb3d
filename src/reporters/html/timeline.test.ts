import { describe, expect, it } from 'vitest';
import { burstTimeline } from '../../engine/burst-timeline.js';
import type { Exchange } from '../../http/exchange.js';
import { timelineSvg } from './timeline.js';

function ex(id: number, sent: number, done: number | undefined, arrivalNs: string | undefined): Exchange {
  const e: Exchange = {
    id,
    label: `burst[${id}]<b>`,
    attack: 'a',
    endpoint: 'e',
    key: 'k',
    principal: 'default',
    burst: 1,
    request: { method: 'POST', url: 'http://x/', headers: {}, body: undefined },
    timings: { queued: 100, sent },
  };
  if (done !== undefined) {
    e.timings.headers = done - 1;
    e.timings.done = done;
    e.response = { status: id === 1 ? 201 : 409, headers: {}, body: '', bytes: 0, truncated: false };
  } else e.error = { code: 'connect-refused', message: 'refused' };
  if (arrivalNs !== undefined) e.serverArrivalNs = arrivalNs;
  return e;
}

describe('burst timeline', () => {
  const rows = burstTimeline([
    ex(1, 110, 130, '5000000000'),
    ex(2, 110.5, 140, '5002500000'),
    ex(3, 111, undefined, undefined),
  ]);

  it('keeps per-request times relative to the burst and arrivals relative to the first arrival', () => {
    expect(rows).toEqual([
      { label: 'burst[1]<b>', outcome: '201', sent: 10, headers: 29, done: 30, arrival: 0 },
      { label: 'burst[2]<b>', outcome: '409', sent: 10.5, headers: 39, done: 40, arrival: 2.5 },
      { label: 'burst[3]<b>', outcome: 'connect-refused', sent: 11 },
    ]);
  });

  it('draws a row per request: send, arrival when known, response when answered; labels escaped', () => {
    const svg = timelineSvg({ id: 1, size: 3, releaseSpreadMs: 1, arrivalSpreadMs: 2.5, timeline: rows });
    expect(svg.match(/<circle /g)?.length).toBe(3);
    expect(svg.match(/<path /g)?.length).toBe(2);
    expect(svg.match(/<rect /g)?.length).toBe(2);
    expect(svg).toContain('burst[1]&lt;b&gt; → 201');
    expect(svg).not.toContain('<b>');
    expect(timelineSvg({ id: 2, size: 0, releaseSpreadMs: undefined, arrivalSpreadMs: undefined })).toBe('');
  });
});
