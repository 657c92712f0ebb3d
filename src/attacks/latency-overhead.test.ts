import { describe, expect, it } from 'vitest';
import { attacks } from './index.js';
import { extensionSchemas } from '../engine/extension-schemas.js';
import { loadScenarioText } from '../config/index.js';
import { parseFlaws, startDemoServer } from '../demo/index.js';
import type { AuditResult } from '../result/result.js';
import { runAudit } from '../engine/run-audit.js';
import { observers } from '../observers/index.js';
import { auditDemo } from '../../test/helpers/audit-demo.js';

interface Latency {
  first: { count: number; p50: number; p99: number };
  replay?: { count: number; p50: number };
  unkeyed?: { count: number; p50: number };
  overhead?: { p50: number; p99: number };
}

async function measure(o: {
  flaws: string;
  variant: string;
  keyCostMs: number;
  contract?: string;
  samples?: number;
  /** More latency-overhead options, as YAML flow members (e.g. `unkeyed: false`). */
  extra?: string;
}): Promise<AuditResult> {
  const server = await startDemoServer({ flaws: parseFlaws(o.flaws), keyCostMs: o.keyCostMs, processingMs: 2 });
  try {
    const text = `
version: 1
name: latency
target: { baseUrl: "${server.url}", headers: { Authorization: Bearer demo-alice-token } }
contract: { profile: ietf${o.contract ? `, ${o.contract}` : ''} }
endpoints:
  pay:
    request: { method: POST, path: /${o.variant}/payments, body: { amount: 1000, currency: usd, customer: cus_42 } }
    observe: [ { responseId: $.id } ]
    attacks: { latency-overhead: { samples: ${o.samples ?? 30}, rate: 500, warmup: 3${o.extra ? `, ${o.extra}` : ''} } }
`;
    const scenario = loadScenarioText(text, '/tmp/latency.yaml', extensionSchemas(), {});
    return await runAudit({ scenario, attacks, observers, seed: 3 });
  } finally {
    await server.close();
  }
}

function latencyOf(r: AuditResult): Latency {
  return r.attacks[0]?.metrics?.['latency'] as unknown as Latency;
}

describe('latency-overhead', () => {
  it('measures a per-key cost of 40 ms as about 40 ms of overhead and reports it above maxOverhead', async () => {
    const r = await measure({
      flaws: 'key-optional',
      variant: 'key-optional',
      keyCostMs: 40,
      contract: 'maxOverhead: { p50: 15ms }',
    });
    const m = latencyOf(r);
    expect(m.first.count).toBe(30);
    expect(m.replay?.count).toBe(30);
    expect(m.unkeyed?.count).toBe(30);
    // The sleep is a floor; scheduling under load only adds to it.
    expect(m.overhead?.p50).toBeGreaterThanOrEqual(35);
    expect(m.overhead?.p50).toBeLessThan(400);
    expect(m.first.p50).toBeGreaterThanOrEqual(40);
    expect(r.findings.map((f) => [f.kind, f.severity])).toEqual([['overhead-exceeded', 'low']]);
    expect(r.findings[0]?.message).toMatch(/the key adds p50 \d+(\.\d+)? ms/);
    expect(r.attacks[0]?.notes.join('\n')).toMatch(/key overhead/);
  });

  it('stays silent when the key costs nothing measurable and the limit is generous', async () => {
    const r = await measure({
      flaws: 'key-optional',
      variant: 'key-optional',
      keyCostMs: 0,
      contract: 'maxOverhead: { p50: 15ms }',
    });
    expect(r.findings).toEqual([]);
    expect(r.attacks[0]?.status).toBe('passed');
    expect(latencyOf(r).overhead?.p50).toBeLessThan(15);
  });

  it('without maxOverhead it only measures: figures in the result, no finding', async () => {
    const r = await measure({ flaws: 'key-optional', variant: 'key-optional', keyCostMs: 40 });
    expect(r.findings).toEqual([]);
    expect(r.attacks[0]?.status).toBe('passed');
    expect(latencyOf(r).overhead?.p50).toBeGreaterThanOrEqual(35);
  });

  it('on an endpoint that refuses unkeyed requests there is no baseline: inconclusive when a limit is set', async () => {
    const r = await measure({
      flaws: 'none',
      variant: 'correct',
      keyCostMs: 40,
      contract: 'maxOverhead: { p99: 20ms }',
    });
    expect(r.findings).toEqual([]);
    expect(r.attacks[0]?.status).toBe('inconclusive');
    const m = latencyOf(r);
    expect(m.unkeyed).toBeUndefined();
    expect(m.first.count).toBe(30);
    expect(r.attacks[0]?.notes.join('\n')).toMatch(/unkeyed requests are not accepted \(400×1\)/);
  });

  it('with unkeyed: false sends no request without a key, not even a probe', async () => {
    const r = await measure({ flaws: 'key-optional', variant: 'key-optional', keyCostMs: 0, extra: 'unkeyed: false' });
    expect(r.findings).toEqual([]);
    expect(latencyOf(r).unkeyed).toBeUndefined();
    // 3 warmup + 30 measured rounds of one first-time request and its replay, nothing else.
    expect(r.attacks[0]?.requests).toBe(66);
  });

  it('is not in the default suite, so the demo audit never sends its hundreds of requests', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['latency-overhead'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks).toEqual([]);
  });
});
