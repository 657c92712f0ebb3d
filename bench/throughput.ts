/**
 * B3: requests per second of idem-audit's engine (every exchange recorded and streamed to
 * ndjson) against autocannon, same minimal target, same connection count, same duration.
 */
import autocannon from 'autocannon';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestSpec } from '../src/http/request-spec.js';
import { recordingEngine } from './recorder.js';

export interface ThroughputResult {
  idemAuditRps: number;
  autocannonRps: number;
  ratio: number;
  connections: number;
  seconds: number;
}

const BODY = JSON.stringify({ amount: 1000, currency: 'usd' });

export function campaignSpec(url: string, i: number): RequestSpec {
  return {
    method: 'POST',
    url: `${url}/payments`,
    headers: { 'content-type': 'application/json', 'Idempotency-Key': `k-${i}` },
    body: BODY,
    label: `req[${i}]`,
    key: `k-${i}`,
    principal: 'default',
  };
}

/** Runs `workers` sequential senders in parallel for `seconds`; returns requests per second. */
async function engineRps(url: string, workers: number, seconds: number): Promise<number> {
  const file = join(tmpdir(), `idem-bench-b3-${process.pid}.ndjson`);
  const rec = recordingEngine(file);
  let next = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (performance.now() < deadline) {
          const behind = rec.backpressure();
          if (behind) await behind;
          await rec.engine.send(campaignSpec(url, next++), { attack: 'bench', endpoint: 'b3' });
        }
      }),
    );
    return rec.recorded() / ((performance.now() - started) / 1000);
  } finally {
    await rec.close();
    rmSync(file, { force: true });
  }
}

async function autocannonRps(url: string, connections: number, seconds: number): Promise<number> {
  const r = await autocannon({
    url: `${url}/payments`,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Idempotency-Key': 'k' },
    body: BODY,
  });
  return r.requests.total / seconds;
}

export async function throughput(url: string, connections: number, seconds: number): Promise<ThroughputResult> {
  // Alternated halves so neither tool always runs on a warmer (or more loaded) machine.
  const half = seconds / 2;
  const a1 = await autocannonRps(url, connections, half);
  const i1 = await engineRps(url, connections, half);
  const i2 = await engineRps(url, connections, half);
  const a2 = await autocannonRps(url, connections, half);
  const idemAuditRps = (i1 + i2) / 2;
  const autocannonRpsAvg = (a1 + a2) / 2;
  return {
    idemAuditRps: Math.round(idemAuditRps),
    autocannonRps: Math.round(autocannonRpsAvg),
    ratio: Number((idemAuditRps / autocannonRpsAvg).toFixed(3)),
    connections,
    seconds,
  };
}
