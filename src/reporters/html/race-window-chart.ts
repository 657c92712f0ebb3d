/**
 * race-window's curve as inline SVG (no script, no external resource, so the report's CSP holds):
 * per endpoint, one bar per gap tried with the share of rounds that wrote twice, the count above
 * it, and the measured gaps in its tooltip. Gaps are drawn evenly spaced (they grow roughly
 * geometrically), so 1, 2 and 5 ms stay readable beside 200 ms.
 */
import type { AuditResult } from '../../result/result.js';
import { esc } from './escape.js';

const LEFT = 44;
const SLOT_W = 52;
const BAR_W = 30;
const PLOT_H = 120;
const TOP = 16;
const BOTTOM = 34;
const FAIL = '#c62828';
const PASS = '#2e7d32';
const AXIS = '#5f6b7a';

interface Spread {
  min: number;
  median: number;
  max: number;
}

interface GapPoint {
  gapMs: number;
  rounds: number;
  duplicates: number;
  clientGapMs?: Spread;
  serverGapMs?: Spread;
}

export interface RaceWindowFigures {
  sync?: string;
  requestMs?: number;
  widestDuplicateGapMs?: number;
  gaps: GapPoint[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function spread(v: unknown): Spread | undefined {
  if (!isRecord(v)) return undefined;
  const min = num(v['min']);
  const median = num(v['median']);
  const max = num(v['max']);
  return min === undefined || median === undefined || max === undefined ? undefined : { min, median, max };
}

/** The `raceWindow` metric as race-window records it, or undefined when it is not one (an old or foreign report). */
export function raceWindowFigures(v: unknown): RaceWindowFigures | undefined {
  if (!isRecord(v) || !Array.isArray(v['gaps'])) return undefined;
  const gaps: GapPoint[] = [];
  for (const g of v['gaps']) {
    if (!isRecord(g)) continue;
    const gapMs = num(g['gapMs']);
    const rounds = num(g['rounds']);
    const duplicates = num(g['duplicates']);
    if (gapMs === undefined || rounds === undefined || duplicates === undefined) continue;
    const point: GapPoint = { gapMs, rounds, duplicates };
    const client = spread(g['clientGapMs']);
    const server = spread(g['serverGapMs']);
    if (client) point.clientGapMs = client;
    if (server) point.serverGapMs = server;
    gaps.push(point);
  }
  if (gaps.length === 0) return undefined;
  const out: RaceWindowFigures = { gaps };
  if (typeof v['sync'] === 'string') out.sync = v['sync'];
  const requestMs = num(v['requestMs']);
  if (requestMs !== undefined) out.requestMs = requestMs;
  const widest = num(v['widestDuplicateGapMs']);
  if (widest !== undefined) out.widestDuplicateGapMs = widest;
  return out;
}

function pointTitle(p: GapPoint): string {
  const measured = [
    p.clientGapMs ? `sends ${p.clientGapMs.median} ms apart (median; ${p.clientGapMs.min}–${p.clientGapMs.max})` : '',
    p.serverGapMs
      ? `arrivals ${p.serverGapMs.median} ms apart (median; ${p.serverGapMs.min}–${p.serverGapMs.max})`
      : '',
  ].filter(Boolean);
  return `gap ${p.gapMs} ms: ${p.duplicates} of ${p.rounds} rounds wrote twice${measured.length > 0 ? `; ${measured.join('; ')}` : ''}`;
}

export function raceWindowChartSvg(f: RaceWindowFigures): string {
  const width = LEFT + f.gaps.length * SLOT_W + 8;
  const height = TOP + PLOT_H + BOTTOM;
  const base = TOP + PLOT_H;
  const y = (rate: number): number => base - rate * PLOT_H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="share of rounds that wrote twice, per gap between the copies" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  ];
  for (const tick of [0, 0.5, 1]) {
    const ty = y(tick).toFixed(1);
    parts.push(
      `<line x1="${LEFT - 4}" y1="${ty}" x2="${width - 4}" y2="${ty}" stroke="#d8dde4"${tick === 0 ? '' : ' stroke-dasharray="3 3"'}/>`,
      `<text x="${LEFT - 8}" y="${(y(tick) + 3).toFixed(1)}" font-size="10" fill="${AXIS}" text-anchor="end">${tick * 100}%</text>`,
    );
  }
  f.gaps.forEach((p, i) => {
    const cx = LEFT + i * SLOT_W + SLOT_W / 2;
    const rate = p.rounds > 0 ? p.duplicates / p.rounds : 0;
    const h = Math.max(rate > 0 ? 2 : 0, rate * PLOT_H);
    const label = p.rounds > 0 ? `${p.duplicates}/${p.rounds}` : 'n/a';
    parts.push(
      `<rect x="${(cx - BAR_W / 2).toFixed(1)}" y="${(base - h).toFixed(1)}" width="${BAR_W}" height="${h.toFixed(1)}" fill="${p.duplicates > 0 ? FAIL : PASS}"><title>${esc(pointTitle(p))}</title></rect>`,
      `<text x="${cx.toFixed(1)}" y="${(base - h - 4).toFixed(1)}" font-size="10" text-anchor="middle" fill="${p.duplicates > 0 ? FAIL : PASS}">${esc(label)}</text>`,
      `<text x="${cx.toFixed(1)}" y="${base + 14}" font-size="10" text-anchor="middle" fill="${AXIS}">${esc(p.gapMs)}</text>`,
    );
  });
  parts.push(
    `<text x="${LEFT + (f.gaps.length * SLOT_W) / 2}" y="${height - 4}" font-size="10" text-anchor="middle" fill="${AXIS}">gap between the first copy and the next (ms)</text>`,
    '</svg>',
  );
  return parts.join('');
}

function caption(f: RaceWindowFigures): string {
  const window =
    f.widestDuplicateGapMs === undefined
      ? 'no gap wrote twice'
      : `copies up to ${f.widestDuplicateGapMs} ms behind the first executed again`;
  const request = f.requestMs === undefined ? '' : ` · one request ≈ ${+f.requestMs.toFixed(1)} ms`;
  const sync = f.sync === undefined ? '' : ` · released by ${f.sync}`;
  return `${window}${request}${sync}`;
}

/** The "Race window" section: empty when no attack recorded the metric. */
export function raceWindowSection(result: AuditResult): string {
  const blocks: string[] = [];
  for (const a of result.attacks) {
    const f = raceWindowFigures(a.metrics?.['raceWindow']);
    if (!f) continue;
    blocks.push(
      `<figure class="race-window"><figcaption>${esc(a.endpoint)} › ${esc(a.attack)}: ${esc(caption(f))}</figcaption>${raceWindowChartSvg(f)}</figure>`,
    );
  }
  return blocks.length === 0
    ? ''
    : `<h2 id="race-window">Race window <span class="meta">share of rounds that wrote twice, per gap</span></h2>${blocks.join('\n')}`;
}
