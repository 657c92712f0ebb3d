/**
 * The audit loop with parallel lanes, against a loopback target that records when each request
 * arrived (its body complete) and when its answer left, so what overlapped at the target can be
 * read afterwards: the lane bound, bursts with the target to themselves, the request budget and an
 * interruption with lanes in flight.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attacks } from '../attacks/index.js';
import { loadScenarioText } from '../config/index.js';
import type { Exchange } from '../http/exchange.js';
import { observers } from '../observers/index.js';
import type { RunEvent } from '../result/events.js';
import { extensionSchemas } from './extension-schemas.js';
import { planCells } from './prepare-run.js';
import { runAudit } from './run-audit.js';

interface Arrival {
  endpoint: string;
  method: string;
  key: string | undefined;
  arrived: number;
  finished: number;
}

let server: Server;
let url: string;
let arrivals: Arrival[] = [];

/** An idempotent payments API per path prefix, answering after 15 ms, with a ledger per key. */
beforeAll(async () => {
  const writes = new Map<string, number>();
  const stored = new Map<string, string>();
  let ids = 0;
  server = createServer((req, res) => {
    const [, endpoint = '', what = ''] = (req.url ?? '').split(/[/?]/);
    const key = req.headers['idempotency-key'];
    const record: Arrival = {
      endpoint,
      method: req.method ?? '',
      key: typeof key === 'string' ? key : undefined,
      arrived: 0,
      finished: Number.POSITIVE_INFINITY,
    };
    arrivals.push(record);
    req.resume();
    req.on('end', () => {
      record.arrived = performance.now();
      res.on('finish', () => (record.finished = performance.now()));
      if (what === 'ledger') {
        const k = new URL(req.url ?? '', 'http://x').searchParams.get('key') ?? '';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: writes.get(k) ?? 0 }));
        return;
      }
      setTimeout(() => {
        const k = record.key;
        let body = k === undefined ? undefined : stored.get(k);
        if (body === undefined) {
          body = JSON.stringify({ id: `pay_${++ids}` });
          if (k !== undefined) {
            stored.set(k, body);
            writes.set(k, 1);
          }
        }
        res.writeHead(201, { 'content-type': 'application/json' }).end(body);
      }, 15);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const ENDPOINTS = ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'];

function scenario(attackList: string, names: readonly string[] = ENDPOINTS) {
  const endpoints = names
    .map(
      (e) => `  ${e}:
    request: { method: POST, path: /${e}/payments, body: { amount: 1 } }
    observe: [ { http: { path: '/${e}/ledger?key={{key}}', count: $.count } } ]
    suite: none
    attacks: ${attackList}
`,
    )
    .join('');
  return loadScenarioText(
    `version: 1
name: lanes
target: { baseUrl: "${url}", timeout: 5s }
endpoints:
${endpoints}`,
    '/tmp/lanes.yaml',
    extensionSchemas(),
    {},
  );
}

const MIXED = '{ concurrent-burst: { copies: 4, rounds: 2 }, payload-mismatch: { runs: 6 }, sequential-replay: {} }';

async function audit(o: {
  attackList?: string;
  endpoints?: readonly string[];
  concurrency: number;
  maxRequests?: number;
  rate?: number;
  signal?: AbortSignal;
}) {
  arrivals = [];
  const events: RunEvent[] = [];
  const s = scenario(o.attackList ?? MIXED, o.endpoints);
  const result = await runAudit({
    scenario: s,
    attacks,
    observers,
    seed: 5,
    keySalt: 'lanes',
    concurrency: o.concurrency,
    ...(o.maxRequests === undefined ? {} : { maxRequests: o.maxRequests }),
    ...(o.rate === undefined ? {} : { rate: o.rate }),
    ...(o.signal ? { signal: o.signal } : {}),
    onEvent: (e) => events.push(e),
  });
  const exchanges = events.flatMap((e): Exchange[] => (e.type === 'exchange' ? [e.exchange] : []));
  return { result, events, exchanges, scenario: s, arrivals: [...arrivals] };
}

const overlaps = (a: Arrival, b: Arrival): boolean => a.arrived < b.finished && b.arrived < a.finished;

describe('parallel audit lanes', () => {
  it('runs at most --concurrency endpoints at once, and reports in plan order whatever order they finished in', async () => {
    const { result, events, arrivals: seen, scenario: s } = await audit({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    for (const e of events) {
      if (e.type === 'attack-start') peak = Math.max(peak, ++running);
      if (e.type === 'attack-end') running--;
    }
    expect(peak).toBe(3);
    // At the target too: never more than three endpoints with a request being handled.
    let busiest = 0;
    for (const a of seen) {
      const endpointsAtOnce = new Set(seen.filter((b) => overlaps(a, b)).map((b) => b.endpoint));
      busiest = Math.max(busiest, endpointsAtOnce.size);
    }
    expect(busiest).toBeGreaterThan(1);
    expect(busiest).toBeLessThanOrEqual(3);
    const lanes = new Set(events.flatMap((e) => (e.type === 'attack-start' ? [e.lane] : [])));
    expect(lanes).toEqual(new Set([1, 2, 3]));
    expect(result.status).toBe('completed');
    expect(result.attacks.map((a) => `${a.endpoint}/${a.attack}`)).toEqual(
      planCells(s, attacks, {}).map((c) => `${c.endpoint.name}/${c.attack.meta.id}`),
    );
    // Every attack was judged (this target ignores mismatching bodies: payload-mismatch fails).
    expect(result.attacks.filter((a) => a.status !== 'passed' && a.status !== 'failed')).toEqual([]);
    // Each attack's request count is its own, not its lanes' neighbours'.
    expect(result.attacks.reduce((n, a) => n + a.requests, 0)).toBe(result.requests);
  }, 60_000);

  it('gives each burst the target to itself: no other lane’s request is being handled from its first arrival to its last answer', async () => {
    const { exchanges, arrivals: seen } = await audit({ concurrency: 4 });
    const burstKeys = new Set(exchanges.flatMap((x) => (x.burst !== undefined && x.key ? [x.key] : [])));
    expect(burstKeys.size).toBe(ENDPOINTS.length * 2);
    let disturbed = 0;
    for (const key of burstKeys) {
      const copies = seen.filter((a) => a.method === 'POST' && a.key === key);
      expect(copies).toHaveLength(4);
      const window: Arrival = {
        ...(copies[0] as Arrival),
        arrived: Math.min(...copies.map((c) => c.arrived)),
        finished: Math.max(...copies.map((c) => c.finished)),
      };
      const others = seen.filter((a) => a.endpoint !== window.endpoint && overlaps(a, window));
      disturbed += others.length;
    }
    expect(disturbed).toBe(0);
    // The check has teeth: outside bursts, requests of different lanes did overlap at the target.
    const ordinary = seen.filter((a) => a.key === undefined || !burstKeys.has(a.key));
    const crossLane = ordinary.filter((a) => ordinary.some((b) => b.endpoint !== a.endpoint && overlaps(a, b)));
    expect(crossLane.length).toBeGreaterThan(0);
  }, 60_000);

  it('never exceeds the request budget, however many lanes draw on it', async () => {
    const { result, exchanges, arrivals: seen } = await audit({ concurrency: 4, maxRequests: 45 });
    expect(result.requests).toBeLessThanOrEqual(45);
    expect(exchanges.length).toBe(result.requests);
    expect(seen.length).toBe(result.requests);
    expect(result.status).toBe('incomplete');
    expect(result.errors.filter((e) => e.code === 'IDEM_REQUEST_BUDGET_EXHAUSTED')).toHaveLength(1);
    expect(result.attacks.some((a) => a.status === 'error' && a.reason?.includes('budget'))).toBe(true);
  }, 60_000);

  it('paces the whole run at --rate, not each lane, and adds no listener warnings however many lanes wait', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const many = Array.from({ length: 16 }, (_, i) => `r${i + 1}`);
      const { result, arrivals: seen } = await audit({
        attackList: '{ sequential-replay: { replays: 2, delayMs: 0 } }',
        endpoints: many,
        concurrency: 16,
        rate: 100,
      });
      expect(result.status).toBe('completed');
      const times = seen.map((a) => a.arrived).sort((a, b) => a - b);
      expect(times.length).toBeGreaterThan(40);
      // 10 ms apart at the client; arrivals jitter, so a fifth of slack. 16 lanes at 100 requests/s
      // each would send these in a sixteenth of the time.
      const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
      expect(span).toBeGreaterThanOrEqual((times.length - 1) * 10 * 0.8);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  }, 60_000);

  it('an interruption with lanes in flight stops every lane and returns the partial result, in plan order', async () => {
    const user = new AbortController();
    const watcher = setInterval(() => {
      const busy = new Set(arrivals.filter((a) => a.method === 'POST').map((a) => a.endpoint));
      if (busy.size >= 3) user.abort();
    }, 5);
    try {
      const t0 = performance.now();
      const {
        result,
        arrivals: seen,
        scenario: s,
      } = await audit({
        concurrency: 3,
        signal: user.signal,
        attackList: '{ payload-mismatch: { runs: 40 }, sequential-replay: {} }',
      });
      expect(performance.now() - t0).toBeLessThan(20_000);
      expect(result.status).toBe('interrupted');
      const interrupted = result.attacks.filter((a) => a.reason === 'interrupted before the attack finished');
      expect(new Set(interrupted.map((a) => a.endpoint)).size).toBe(3);
      // Nothing started after the stop: three endpoints were reached, no more.
      expect(new Set(seen.map((a) => a.endpoint)).size).toBe(3);
      const plan = planCells(s, attacks, {}).map((c) => `${c.endpoint.name}/${c.attack.meta.id}`);
      const reported = result.attacks.map((a) => `${a.endpoint}/${a.attack}`);
      expect(reported).toEqual(plan.filter((p) => reported.includes(p)));
      expect(result.requests).toBe(seen.length);
    } finally {
      clearInterval(watcher);
    }
  }, 60_000);
});
