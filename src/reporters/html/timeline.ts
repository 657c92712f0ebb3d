/**
 * A burst drawn as inline SVG: one row per request with the moment it was sent, the moment the
 * target says it arrived, and the moment the answer came back. Overlapping rows are the race.
 */
import type { BurstStat, BurstTimelineRow } from '../../result/result.js';
import { esc } from './escape.js';

const LABEL_W = 170;
const PLOT_W = 560;
const ROW_H = 18;
const TOP = 22;

function fmt(ms: number): string {
  return ms >= 10 ? ms.toFixed(0) : ms.toFixed(2);
}

function end(row: BurstTimelineRow): number | undefined {
  return row.done ?? row.headers;
}

/**
 * Server arrivals come from the target's clock, so only their spread is meaningful: they are
 * drawn starting at the earliest send, which shows whether the target saw them together.
 */
export function timelineSvg(burst: BurstStat): string {
  const rows = burst.timeline ?? [];
  if (rows.length === 0) return '';
  // The axis starts at the first send: connecting beforehand is not part of the race.
  const firstSent = Math.min(...rows.map((r) => r.sent ?? Number.POSITIVE_INFINITY));
  const origin = Number.isFinite(firstSent) ? firstSent : 0;
  const times = rows.flatMap((r) => [r.sent, end(r), r.arrival === undefined ? undefined : origin + r.arrival]);
  const max = Math.max(0.001, ...times.filter((t): t is number => t !== undefined).map((t) => t - origin));
  const x = (ms: number): number => LABEL_W + (Math.max(0, ms - origin) / max) * PLOT_W;
  const height = TOP + rows.length * ROW_H + 8;
  const width = LABEL_W + PLOT_W + 60;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of burst ${burst.id}">`,
    `<text x="${LABEL_W}" y="12" font-size="10" fill="#5f6b7a">0 ms (first send)</text>`,
    `<text x="${LABEL_W + PLOT_W}" y="12" font-size="10" fill="#5f6b7a" text-anchor="end">${fmt(max)} ms</text>`,
    `<line x1="${LABEL_W}" y1="${TOP - 4}" x2="${LABEL_W}" y2="${height - 4}" stroke="#d8dde4"/>`,
  ];
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H + ROW_H / 2;
    const ok = /^2\d\d$/.test(r.outcome);
    parts.push(`<text x="4" y="${y + 4}" font-size="11" fill="#1d2330">${esc(r.label)} → ${esc(r.outcome)}</text>`);
    const e = end(r);
    if (r.sent !== undefined && e !== undefined)
      parts.push(
        `<line x1="${x(r.sent).toFixed(1)}" y1="${y}" x2="${x(e).toFixed(1)}" y2="${y}" stroke="#9aa5b1" stroke-width="3"/>`,
      );
    if (r.sent !== undefined)
      parts.push(
        `<circle cx="${x(r.sent).toFixed(1)}" cy="${y}" r="4" fill="#1565c0"><title>sent at +${fmt(r.sent - origin)} ms</title></circle>`,
      );
    if (r.arrival !== undefined) {
      const ax = x(origin + r.arrival);
      parts.push(
        `<path d="M${ax.toFixed(1)} ${y - 5} l5 5 l-5 5 l-5 -5 z" fill="#ef6c00"><title>server arrival +${fmt(r.arrival)} ms after the first</title></path>`,
      );
    }
    if (e !== undefined)
      parts.push(
        `<rect x="${(x(e) - 4).toFixed(1)}" y="${y - 4}" width="8" height="8" fill="${ok ? '#2e7d32' : '#c62828'}"><title>response at +${fmt(e - origin)} ms</title></rect>`,
      );
  });
  parts.push('</svg>');
  return parts.join('');
}

export const TIMELINE_LEGEND =
  '<p class="legend"><svg width="10" height="10" aria-hidden="true"><circle cx="5" cy="5" r="4" fill="#1565c0"/></svg> sent · ' +
  '<svg width="10" height="10" aria-hidden="true"><path d="M5 0 l5 5 l-5 5 l-5 -5 z" fill="#ef6c00"/></svg> server arrival (target clock, aligned to the first send) · ' +
  '<svg width="10" height="10" aria-hidden="true"><rect width="8" height="8" fill="#2e7d32"/></svg> response (red: not 2xx)</p>';
