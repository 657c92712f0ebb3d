/**
 * The latency table the terminal shows under an endpoint that ran latency-overhead: one row
 * per request class and the key's overhead, read from the attack's structured metrics.
 */
import Table from 'cli-table3';
import type { AttackResult } from '../result/result.js';

const CLASSES = [
  ['first', 'first-time (keyed)'],
  ['replay', 'replay'],
  ['unkeyed', 'no key'],
  ['overhead', 'key overhead'],
] as const;
const COLUMNS = ['p50', 'p95', 'p99', 'max'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Undefined when no attack of the endpoint recorded latency metrics. */
export function latencyTable(results: readonly AttackResult[], color: boolean): string | undefined {
  let latency: Record<string, unknown> | undefined;
  for (const a of results) {
    const m: unknown = a.metrics?.['latency'];
    if (isRecord(m)) latency ??= m;
  }
  if (latency === undefined) return undefined;
  const limit = isRecord(latency['limit']) ? latency['limit'] : {};
  const table = new Table({
    head: ['latency (ms)', 'n', ...COLUMNS],
    style: { head: color ? ['bold'] : [], border: color ? ['gray'] : [] },
  });
  for (const [id, label] of CLASSES) {
    const row = latency[id];
    if (!isRecord(row)) continue;
    const cells = COLUMNS.map((p) => {
      const v = row[p];
      const l = id === 'overhead' ? limit[p] : undefined;
      return typeof v !== 'number' ? '' : typeof l === 'number' ? `${v} (≤ ${l})` : String(v);
    });
    table.push([label, typeof row['count'] === 'number' ? String(row['count']) : '', ...cells]);
  }
  return table.toString();
}
