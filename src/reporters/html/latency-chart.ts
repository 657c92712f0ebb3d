/**
 * latency-overhead's figures as inline SVG (no script, no external resource, so the report's
 * CSP holds): per endpoint, one group of bars per request class, one bar per percentile, on a
 * shared scale so the key's overhead reads as the gap between "first-time" and "no key".
 */
import type { AuditResult } from '../../result/result.js';
import { esc } from './escape.js';

const CLASSES = [
  ['first', 'first-time (keyed)'],
  ['replay', 'replay'],
  ['unkeyed', 'no key'],
] as const;
const PERCENTILES = ['p50', 'p95', 'p99'] as const;
const SHADES = ['#4c78a8', '#f58518', '#e45756'] as const;
const LABEL_W = 150;
const PLOT_W = 480;
const BAR_H = 10;
const GROUP_GAP = 10;

type Figures = Partial<Record<(typeof PERCENTILES)[number], number>>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function figures(v: unknown): Figures | undefined {
  if (!isRecord(v)) return undefined;
  const out: Figures = {};
  for (const p of PERCENTILES) {
    const x = v[p];
    if (typeof x === 'number' && Number.isFinite(x)) out[p] = x;
  }
  return out;
}

export function latencyChartSvg(latency: Record<string, unknown>): string {
  const groups = CLASSES.flatMap(([id, label]) => {
    const f = figures(latency[id]);
    return f ? [{ label, f }] : [];
  });
  if (groups.length === 0) return '';
  const max = Math.max(1, ...groups.flatMap((g) => PERCENTILES.map((p) => g.f[p] ?? 0)));
  const groupH = PERCENTILES.length * BAR_H + GROUP_GAP;
  const height = groups.length * groupH + 24;
  const parts: string[] = [];
  groups.forEach((g, i) => {
    const y0 = i * groupH;
    parts.push(`<text x="0" y="${y0 + BAR_H * 2}" font-size="11">${esc(g.label)}</text>`);
    PERCENTILES.forEach((p, j) => {
      const v = g.f[p];
      if (v === undefined) return;
      const w = Math.max(1, (v / max) * PLOT_W);
      const y = y0 + j * BAR_H;
      parts.push(
        `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H - 2}" fill="${SHADES[j]}"><title>${esc(`${g.label} ${p}: ${v} ms`)}</title></rect>`,
        `<text x="${(LABEL_W + w + 4).toFixed(1)}" y="${y + BAR_H - 2}" font-size="9">${esc(`${p} ${v}`)}</text>`,
      );
    });
  });
  const legendY = groups.length * groupH + 12;
  PERCENTILES.forEach((p, j) => {
    parts.push(
      `<rect x="${LABEL_W + j * 60}" y="${legendY - 8}" width="10" height="8" fill="${SHADES[j]}"></rect>`,
      `<text x="${LABEL_W + j * 60 + 14}" y="${legendY}" font-size="10">${p}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="latency per request class (ms)" width="${LABEL_W + PLOT_W + 80}" height="${height}" viewBox="0 0 ${LABEL_W + PLOT_W + 80} ${height}">${parts.join('')}</svg>`;
}

/** The "Latency" section: empty when no attack recorded latency metrics. */
export function latencySection(result: AuditResult): string {
  const figuresBlocks: string[] = [];
  for (const a of result.attacks) {
    const latency: unknown = a.metrics?.['latency'];
    if (!isRecord(latency)) continue;
    const overhead = figures(latency['overhead']);
    const limit = figures(latency['limit']);
    const caption =
      overhead === undefined
        ? 'no unkeyed baseline'
        : `key overhead ${PERCENTILES.map((p) => `${p} ${overhead[p] ?? '?'} ms${limit?.[p] !== undefined ? ` (limit ${limit[p]})` : ''}`).join(', ')}`;
    const svg = latencyChartSvg(latency);
    if (svg === '') continue;
    figuresBlocks.push(
      `<figure class="latency"><figcaption>${esc(a.endpoint)} › ${esc(a.attack)}: ${esc(caption)}</figcaption>${svg}</figure>`,
    );
  }
  return figuresBlocks.length === 0 ? '' : `<h2>Latency (ms)</h2>${figuresBlocks.join('\n')}`;
}
