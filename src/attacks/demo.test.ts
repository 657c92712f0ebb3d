/**
 * Every attack end to end, once: the real engine, sockets and observers against the demo target,
 * each attack on the endpoint of the flaw it looks for (found) and on the correct implementation
 * (silent). The attacks' logic, edge cases and messages are pinned by their unit tests
 * (`<attack>.test.ts`, on the fake context); this file checks that the pieces fit together.
 */
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { auditDemo, auditSupervisedDemo, findingKeys } from '../../test/helpers/audit-demo.js';
import { startPostgres } from '../../test/helpers/postgres.js';
import { startRedis } from '../../test/helpers/redis-server.js';
import { extensionSchemas } from '../engine/extension-schemas.js';
import { loadScenarioText } from '../config/index.js';
import { parseFlaws, startDemoServer } from '../demo/index.js';
import { RedisKeyStore, type RedisStoreMode } from '../demo/redis-store.js';
import type { AuditResult } from '../result/result.js';
import { runAudit } from '../engine/run-audit.js';
import { observers } from '../observers/index.js';
import { renderHtml } from '../reporters/html.js';
import { exitCodeOf } from '../verdict/exit-codes.js';
import { attacks } from './index.js';

function statusOn(r: AuditResult, endpoint: string): string | undefined {
  return r.attacks.find((a) => a.endpoint === endpoint)?.status;
}

/**
 * The opt-in attacks are not in the demo scenario: one endpoint `pay` on a demo prefix, with the
 * demo's ledger and the answers' ids as witnesses plus `observe`, running `attacks` (YAML).
 */
async function runOwn(
  url: string,
  prefix: string,
  attacksYaml: string,
  observe: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<AuditResult> {
  const yaml = [
    'version: 1',
    'name: own',
    `target: { baseUrl: "${url}", headers: { Authorization: Bearer demo-alice-token }, arrivalHeader: x-demo-arrival-ns }`,
    'endpoints:',
    '  pay:',
    `    request: { method: POST, path: /${prefix}/payments, body: { amount: 1000, currency: usd, customer: cus_42 } }`,
    '    observe:',
    '      - responseId: $.id',
    `      - http: { path: '/${prefix}/ledger?key={{key}}', count: $.count }`,
    ...observe.map((o) => `      ${o}`),
    '    suite: none',
    `    attacks: { ${attacksYaml} }`,
    '',
  ].join('\n');
  const scenario = loadScenarioText(yaml, '/tmp/own.yaml', extensionSchemas(), env);
  return runAudit({ scenario, attacks, observers, seed: 5 });
}

async function auditOwn(flaws: string, prefix: string, attacksYaml: string): Promise<AuditResult> {
  const server = await startDemoServer({ flaws: parseFlaws(flaws) });
  try {
    return await runOwn(server.url, prefix, attacksYaml);
  } finally {
    await server.close();
  }
}

describe('every attack against the demo target', () => {
  it('client-timeout-retry: a retry executed while the abandoned original runs; silent on the correct endpoint', async () => {
    const r = await auditDemo({
      flaws: 'in-flight-executed',
      only: ['client-timeout-retry'],
      endpoints: ['in-flight-executed', 'correct'],
      demo: { processingMs: 200 },
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@in-flight-executed']);
    const f = r.findings[0];
    expect(f?.exchanges[0]?.error?.code).toBe('aborted');
    expect(f?.exchanges[0]?.timings.sent).toBeDefined();
    expect(f?.message).toContain('before the answer');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('concurrent-burst: the check-then-act race with its evidence and counts; silent on the correct endpoint', async () => {
    const r = await auditDemo({ flaws: 'race', only: ['concurrent-burst'], endpoints: ['race', 'correct'] });
    expect(findingKeys(r)).toEqual(['duplicate-write@race']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.sideEffects?.observed).toBeGreaterThan(1);
    expect(f?.sideEffects?.counts.map((c) => c.observer).sort()).toEqual(['http', 'responseId']);
    expect(f?.exchanges.length).toBeGreaterThanOrEqual(10);
    expect(f?.reproduce.timingDependent).toBe(true);
    expect(f?.reproduce.command).toContain('--only concurrent-burst --endpoint race --seed 1');
    expect(r.attacks.find((a) => a.endpoint === 'race')?.bursts.length).toBe(3);
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('connection-drop: a torn request executed with its retry; silent on the correct endpoint', async () => {
    const r = await auditDemo({ flaws: 'ignore-key', only: ['connection-drop'], endpoints: ['ignore-key', 'correct'] });
    expect(findingKeys(r)).toEqual(['duplicate-write@ignore-key']);
    const f = r.findings[0];
    expect(f?.exchanges[0]?.label).toBe('torn (reset-after-body)');
    expect(f?.exchanges[0]?.error?.code).toBe('reset');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('cross-endpoint: a key reused on the sibling endpoint answered with the stored response; nothing when keys are scoped', async () => {
    const endpoints = ['endpoint-blind', 'endpoint-blind-refunds'];
    const flawed = await auditDemo({ flaws: 'endpoint-blind', only: ['cross-endpoint'], endpoints });
    expect(findingKeys(flawed)).toEqual([
      'cross-endpoint-replay@endpoint-blind',
      'cross-endpoint-replay@endpoint-blind-refunds',
    ]);
    // The demo's only sibling pair: its correct implementation is this pair with the flaw off.
    const correct = await auditDemo({ flaws: 'none', only: ['cross-endpoint'], endpoints });
    expect(correct.findings).toEqual([]);
    expect(correct.attacks.map((a) => a.status)).toEqual(['passed', 'passed']);
  });

  it('cross-node-burst: per-node key stores across two nodes; silent when the nodes share the store', async () => {
    const r = await auditDemo({
      flaws: 'per-node-store',
      only: ['cross-node-burst'],
      endpoints: ['per-node-store', 'correct'],
      nodes: 2,
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@per-node-store']);
    const f = r.findings[0];
    expect(f?.message).toContain('spread over 2 nodes');
    const origins = new Set(f?.exchanges.filter((e) => e.key !== undefined).map((e) => new URL(e.request.url).origin));
    expect(origins.size).toBe(2);
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('cross-principal: a response leaked to another principal, without leaking credentials; silent on the correct endpoint', async () => {
    const r = await auditDemo({
      flaws: 'no-principal-scope',
      only: ['cross-principal'],
      endpoints: ['no-principal-scope', 'correct'],
    });
    expect(findingKeys(r)).toEqual(['cross-principal-leak@no-principal-scope']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.message).toContain("'bob'");
    expect(f?.message).toContain("'default'");
    expect(JSON.stringify(f)).not.toContain('demo-bob-token');
    expect(JSON.stringify(f)).not.toContain('demo-alice-token');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('distinct-keys: deduplication by body across keys, judged by the records; silent on the correct endpoint', async () => {
    const r = await auditDemo({
      flaws: 'dedupe-by-body',
      only: ['distinct-keys'],
      endpoints: ['dedupe-by-body', 'correct'],
    });
    expect(findingKeys(r)).toEqual(['over-deduplication@dedupe-by-body']);
    // The id observer sees the replayed foreign id as "1"; the ledger reads the records, and the records rule.
    expect(r.findings[0]?.sideEffects?.observed).toBe(0);
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('equivalent-payload: a byte-exact fingerprint; silent on the correct endpoint', async () => {
    const r = await auditDemo({
      flaws: 'byte-exact-fingerprint',
      only: ['equivalent-payload'],
      endpoints: ['byte-exact-fingerprint', 'correct'],
    });
    expect(findingKeys(r)).toEqual(['false-mismatch@byte-exact-fingerprint', 'false-mismatch@byte-exact-fingerprint']);
    expect(r.findings.every((f) => f.severity === 'low')).toBe(true);
    // Numbers written differently are informational: a note, never a finding.
    expect(r.attacks.find((a) => a.endpoint === 'byte-exact-fingerprint')?.notes.join('\n')).toContain('informational');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('eviction: keys an LRU-capped store and a Redis under maxmemory forget under traffic; silent with room', async () => {
    // Opt-in, so not in the demo scenario: one endpoint on the demo's lru-eviction prefix.
    const traffic = 'eviction: { requests: 100, concurrency: 8, rate: 1000 }';
    const flawed = await auditOwn('lru-eviction', 'lru-eviction', traffic);
    expect(findingKeys(flawed)).toEqual(['key-evicted@pay']);
    expect(flawed.findings[0]?.message).toMatch(/^5 of 5 keys planted before 100 accepted requests with fresh keys/);
    // The same prefix with the flaw off keeps every key.
    const correct = await auditOwn('none', 'lru-eviction', traffic);
    expect(correct.findings).toEqual([]);
    expect(correct.attacks[0]?.status).toBe('passed');

    // Redis with a memory cap just above what it uses empty, evicting any key (allkeys-lru).
    const redis = await startRedis();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const store = await RedisKeyStore.connect({ url: redis.url, mode: 'correct' });
    const server = await startDemoServer({ flaws: parseFlaws('none'), store: () => store, processingMs: 2 });
    try {
      // Room for about 700 records (less leaves Redis no key to evict when its buffers grow, and it
      // refuses writes): the 1000 requests of traffic push the planted ones out.
      const used = /used_memory:(\d+)/.exec(await admin.info('memory'))?.[1] ?? '0';
      await admin.configSet({ maxmemory: String(Number(used) + 512 * 1024), 'maxmemory-policy': 'allkeys-lru' });
      const r = await runOwn(
        server.url,
        'correct',
        'eviction: { requests: 1000, concurrency: 8, rate: 5000 }',
        ['- redis: { url: "${REDIS_URL}", key: "idem:{{key}}" }'],
        { REDIS_URL: redis.url },
      );
      expect(r.findings.map((f) => f.kind)).toEqual(['key-evicted']);
      expect(r.findings[0]?.message).toMatch(
        /Redis evicted [1-9]\d* keys meanwhile \(maxmemory \d+ bytes, policy allkeys-lru\)\.$/,
      );
    } finally {
      await server.close();
      await store.close();
      await admin.quit();
      await redis.stop();
    }
  });

  it('in-flight-duplicate: a duplicate executed while the original runs; silent on the correct endpoint', async () => {
    // Slow processing keeps the original in flight even on a loaded machine.
    const r = await auditDemo({
      flaws: 'in-flight-executed',
      only: ['in-flight-duplicate'],
      endpoints: ['in-flight-executed', 'correct'],
      demo: { processingMs: 400 },
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@in-flight-executed']);
    expect(r.findings[0]?.sideEffects?.observed).toBeGreaterThan(1);
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('key-format: case-folded keys colliding; silent on the correct endpoint', async () => {
    const r = await auditDemo({ flaws: 'case-fold', only: ['key-format'], endpoints: ['case-fold', 'correct'] });
    expect(findingKeys(r)).toEqual(['key-collision@case-fold']);
    expect(r.findings[0]?.severity).toBe('high');
    expect(r.findings[0]?.message).toContain('letter case');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('latency-overhead: a real per-key cost of 40 ms measured as about 40 ms of overhead, above maxOverhead', async () => {
    const server = await startDemoServer({ flaws: parseFlaws('key-optional'), keyCostMs: 40, processingMs: 2 });
    try {
      const text = `
version: 1
name: latency
target: { baseUrl: "${server.url}", headers: { Authorization: Bearer demo-alice-token } }
contract: { profile: ietf, maxOverhead: { p50: 15ms } }
endpoints:
  pay:
    request: { method: POST, path: /key-optional/payments, body: { amount: 1000, currency: usd, customer: cus_42 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { latency-overhead: { samples: 30, rate: 500, warmup: 3 } }
`;
      const scenario = loadScenarioText(text, '/tmp/latency.yaml', extensionSchemas(), {});
      const r = await runAudit({ scenario, attacks, observers, seed: 3 });
      const m = r.attacks[0]?.metrics?.['latency'] as { first: { p50: number }; overhead?: { p50: number } };
      // The sleep is a floor; scheduling under load only adds to it.
      expect(m.overhead?.p50).toBeGreaterThanOrEqual(35);
      expect(m.overhead?.p50).toBeLessThan(400);
      expect(m.first.p50).toBeGreaterThanOrEqual(40);
      expect(r.findings.map((f) => [f.kind, f.severity])).toEqual([['overhead-exceeded', 'low']]);
      expect(r.findings[0]?.message).toMatch(/the key adds p50 \d+(\.\d+)? ms/);
    } finally {
      await server.close();
    }
  });

  it('missing-key: a request executed without the required key; silent on the correct endpoint (400)', async () => {
    const r = await auditDemo({ flaws: 'key-optional', only: ['missing-key'], endpoints: ['key-optional', 'correct'] });
    expect(findingKeys(r)).toEqual(['missing-key-accepted@key-optional']);
    expect(r.findings[0]?.exchanges[0]?.request.headers).not.toHaveProperty('Idempotency-Key');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('partial-failure: a lost provider answer retried without the key; silent on a correct endpoint with a sink', async () => {
    // error-cached is served correctly here (only the other flaw is on), and has a sink; correct has none.
    const r = await auditDemo({
      flaws: 'downstream-unkeyed-retry',
      only: ['partial-failure'],
      endpoints: ['downstream-unkeyed-retry', 'error-cached', 'correct'],
    });
    // Both faults that apply and then lose the answer show the double application.
    expect(findingKeys(r)).toEqual([
      'duplicate-write@downstream-unkeyed-retry',
      'duplicate-write@downstream-unkeyed-retry',
    ]);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.sideEffects?.counts.find((c) => c.observer === 'sink')?.count).toBe(2);
    expect(f?.message).toContain('applied-lost, applied');
    expect(statusOn(r, 'error-cached')).toBe('passed');
    expect(statusOn(r, 'correct')).toBe('skipped');
  });

  it('payload-mismatch: an amount-only fingerprint shrunk to one change of another field; silent on the correct endpoint', async () => {
    const r = await auditDemo({
      flaws: 'amount-only-fingerprint',
      only: ['payload-mismatch'],
      endpoints: ['amount-only-fingerprint', 'correct'],
      seed: 7,
    });
    expect(findingKeys(r)).toEqual(['mismatch-replayed@amount-only-fingerprint']);
    const message = r.findings[0]?.message ?? '';
    const minimal = /Smallest change found: (.*?)\. fast-check seed/.exec(message)?.[1] ?? '';
    expect(minimal).not.toContain(';');
    expect(minimal).toMatch(/^(body\.(currency|customer)|query string|body\.\w+ added)/);
    expect(message).toMatch(/fast-check seed -?\d+, path [\d:]+, after [1-9]\d* shrink/);
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('process-crash: keys in process memory and an orphaned reservation, with the target killed and restarted; silent on the correct twins', async () => {
    const endpoints = ['memory-keys', 'orphaned-reservation'];
    const flawed = await auditSupervisedDemo({
      flaws: 'memory-keys,orphaned-reservation',
      only: ['process-crash'],
      endpoints,
    });
    expect(findingKeys(flawed)).toEqual(['duplicate-write@memory-keys', 'stuck-key@orphaned-reservation']);
    const dup = flawed.findings.find((f) => f.kind === 'duplicate-write');
    expect(dup?.message).toContain('while it waited on its provider (the sink held the call)');
    // The provider deduplicated the forwarded key; the order table shows the second order.
    expect(dup?.sideEffects?.counts.map((c) => `${c.observer}:${c.count}`)).toEqual(['http:2', 'sink:1']);
    expect(flawed.attacks[0]?.hooks?.map((h) => `${h.hook}:${h.ok}`)).toEqual([
      'crash:true',
      'restart:true',
      'ready:true',
    ]);
    // The demo's correct design (its database, the order committed with the key, abandoned reservations recovered).
    const correct = await auditSupervisedDemo({ flaws: 'none', only: ['process-crash'], endpoints });
    expect(correct.findings).toEqual([]);
    expect(correct.attacks.map((a) => a.status)).toEqual(['passed', 'passed']);
    // Without consent nothing is killed: the attack says which flag enables it.
    const off = await auditDemo({ flaws: 'memory-keys', only: ['process-crash'], endpoints: ['memory-keys'] });
    expect(off.attacks[0]?.status).toBe('skipped');
    expect(off.attacks[0]?.reason).toMatch(/hooks are off: .* started with allowHooks$/);
  });

  it('process-crash and store-outage: the correct twin on PostgreSQL (transactional, owner locks) stays silent', async () => {
    const pg = await startPostgres();
    try {
      const r = await auditSupervisedDemo({
        flaws: 'none',
        only: ['process-crash', 'store-outage'],
        endpoints: ['memory-keys', 'orphaned-reservation', 'store-fails-open'],
        keyStore: { postgres: pg.url },
      });
      expect(r.findings).toEqual([]);
      expect(r.attacks.map((a) => `${a.endpoint}:${a.attack}:${a.status}`)).toEqual([
        'memory-keys:process-crash:passed',
        'orphaned-reservation:process-crash:passed',
        'store-fails-open:store-outage:passed',
      ]);
      // During the outage the correct layer refused at once instead of running unprotected.
      const outage = r.attacks[2];
      expect(outage?.hooks?.map((h) => h.hook)).toEqual(['storeDown', 'storeUp']);
    } finally {
      await pg.stop();
    }
  });

  it('race-window: the race flaw’s window measured as a curve, drawn in report.html; silent when the race is fixed', async () => {
    interface Curve {
      requestMs: number;
      gaps: { gapMs: number; rounds: number; duplicates: number; clientGapMs: { min: number } | null }[];
      widestDuplicateGapMs: number | null;
    }
    // Opt-in, so not in the demo scenario: one endpoint on the demo's race prefix (a 15 ms window).
    const flawed = await auditOwn('race', 'race', 'race-window: {}');
    expect(findingKeys(flawed)).toEqual(['duplicate-write@pay']);
    const curve = flawed.attacks[0]?.metrics?.['raceWindow'] as unknown as Curve;
    expect(curve.gaps[0]).toMatchObject({ gapMs: 0, rounds: 3, duplicates: 3 });
    expect(curve.widestDuplicateGapMs).toBeGreaterThanOrEqual(0);
    for (const g of curve.gaps) {
      expect(g.gapMs).toBeLessThanOrEqual(curve.requestMs);
      // Never early: each round's copy left at least its gap after the first.
      expect(g.clientGapMs?.min).toBeGreaterThanOrEqual(g.gapMs);
    }
    expect(flawed.findings[0]?.message).toMatch(
      /released \d+ ms after the first \(measured [\d.]+ ms between the sends, [\d.]+ ms between the arrivals\)/,
    );
    const html = renderHtml(flawed, exitCodeOf(flawed));
    expect(html).toContain('<h2 id="race-window">Race window');
    expect(html.match(/<figure class="race-window">/g)).toHaveLength(1);
    // The same prefix with the flaw off is the correct implementation.
    const correct = await auditOwn('none', 'race', 'race-window: {}');
    expect(correct.findings).toEqual([]);
    expect(correct.attacks[0]?.status).toBe('passed');
    expect((correct.attacks[0]?.metrics?.['raceWindow'] as unknown as Curve).widestDuplicateGapMs).toBeNull();
  });

  it('rejected-then-valid: a stored validation failure replayed to the corrected retry; silent on the correct endpoint', async () => {
    const r = await auditDemo({
      flaws: 'error-stored',
      only: ['rejected-then-valid'],
      endpoints: ['error-stored', 'correct'],
    });
    expect(findingKeys(r)).toEqual(['rejection-replayed@error-stored', 'rejection-replayed@error-stored']);
    expect(r.findings[0]?.observed).toBe('400 replayed');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('sequential-replay: divergent replays without the replay header; silent on the correct endpoint', async () => {
    const r = await auditDemo({
      flaws: 'replay-divergent',
      only: ['sequential-replay'],
      endpoints: ['replay-divergent', 'correct'],
    });
    expect(findingKeys(r)).toEqual(['replay-divergent@replay-divergent', 'replay-header-missing@replay-divergent']);
    const divergent = r.findings.find((f) => f.kind === 'replay-divergent');
    expect(divergent?.observed).toContain('status 201 first, 200 on replay');
    expect(divergent?.observed).toContain('body differs');
    expect(statusOn(r, 'correct')).toBe('passed');
  });

  it('store-audit: the record of a correct Redis store read with its full TTL; a short expiry found at once', async () => {
    const redis = await startRedis();
    const audit = async (mode: RedisStoreMode): Promise<AuditResult> => {
      // Every audit with the same seed sends the same keys: start each from an empty store.
      const admin = createClient({ url: redis.url });
      await admin.connect();
      await admin.flushDb();
      await admin.quit();
      const store = await RedisKeyStore.connect({ url: redis.url, mode });
      const server = await startDemoServer({ flaws: parseFlaws('none'), store: () => store });
      try {
        const yaml = `
version: 1
name: redis-store
target: { baseUrl: "${server.url}", headers: { Authorization: Bearer demo-alice-token } }
contract: { profile: ietf, ttl: 24h }
endpoints:
  pay:
    request: { method: POST, path: /correct/payments, body: { amount: 1000, currency: usd, customer: cus_42 } }
    observe:
      - redis: { url: "\${REDIS_URL}", key: "idem:{{key}}" }
    suite: none
    attacks: { store-audit: {} }
`;
        const s = loadScenarioText(yaml, '/tmp/redis.yaml', extensionSchemas(), { REDIS_URL: redis.url });
        return await runAudit({ scenario: s, attacks, observers, seed: 11 });
      } finally {
        await server.close();
        await store.close();
      }
    };
    try {
      const correct = await audit('correct');
      expect(correct.findings).toEqual([]);
      expect(correct.attacks.map((a) => a.status)).toEqual(['passed']);
      const store = correct.attacks[0]?.metrics?.['store'] as { records: { pttlMs: number; state: string }[] };
      expect(store.records).toHaveLength(1);
      expect(store.records[0]?.pttlMs).toBeGreaterThan(86_000_000);
      expect(store.records[0]?.state).toBe('done');
      // The demo's principal is its bearer token: it must not appear in key names, hence in reports.
      expect(JSON.stringify(correct)).not.toContain('demo-alice-token');

      const started = Date.now();
      const short = await audit('short-ttl');
      expect(short.findings.map((f) => f.kind)).toEqual(['ttl-too-short']);
      expect(short.findings[0]?.message).toMatch(/expires in [\d.]+ (s|min).*promises 24\.0 h/);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await redis.stop();
    }
  });

  it('store-outage: a layer that fails open while its key store is switched off; silent when it refuses', async () => {
    const flawed = await auditSupervisedDemo({
      flaws: 'store-fails-open',
      only: ['store-outage'],
      endpoints: ['store-fails-open'],
    });
    expect(findingKeys(flawed)).toEqual(['fails-open@store-fails-open', 'fails-open@store-fails-open']);
    const fresh = flawed.findings.find((f) => f.message.includes('a fresh key'));
    expect(fresh?.observed).toBe('3 side effects');
    expect(fresh?.exchanges.slice(0, 2).map((e) => e.response?.status)).toEqual([201, 201]);
    const correct = await auditSupervisedDemo({
      flaws: 'none',
      only: ['store-outage'],
      endpoints: ['store-fails-open'],
    });
    expect(correct.findings).toEqual([]);
    expect(correct.attacks[0]?.status).toBe('passed');
  });

  it('ttl-probe: keys forgotten before the declared TTL; for a TTL longer than the allowed wait, keys planted for verify', async () => {
    const r = await auditDemo({ flaws: 'short-ttl', only: ['ttl-probe'], endpoints: ['short-ttl', 'correct'] });
    expect(findingKeys(r)).toEqual(['ttl-too-short@short-ttl']);
    // Replays at 250 ms, 500 ms, 1 s against a 0.8 s retention; a loaded machine may shift the window one step.
    expect(r.findings[0]?.message).toMatch(/Measured retention: between (250 ms and 500 ms|500 ms and 1 s)/);
    const correct = r.attacks.find((a) => a.endpoint === 'correct');
    // Pending, never passed: the keys wait for idem-audit verify (test/verify.test.ts).
    expect(correct?.status).toBe('skipped');
    expect(correct?.reason).toMatch(/^pending: 2 retention checks planted for idem-audit verify/);
    expect(correct?.pending?.map((p) => p.exchanges.map((e) => e.response?.status))).toEqual([
      [201, 201],
      [201, 201],
    ]);
  });
});

// Not one attack each (the block above is): the demo's stateful shapes, each flaw found where only
// its endpoint shows it and each correct twin silent.
describe("the demo's stateful shapes: a flow, a form, a key in the body", () => {
  it('a refund flaw shows only on the dependent refund, after its setup created the charge (sequential-replay); silent on the twin', async () => {
    const endpoints = ['refund-version-scoped', 'correct-refund'];
    const r = await auditDemo({
      flaws: 'refund-version-scoped',
      only: ['concurrent-burst', 'sequential-replay'],
      endpoints,
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@refund-version-scoped', 'replay-refused@refund-version-scoped']);
    // Concurrent copies all see one version of the charge and are deduplicated: only the retry shows it.
    expect(r.attacks.map((a) => `${a.attack}@${a.endpoint}: ${a.status}`).sort()).toEqual([
      'concurrent-burst@correct-refund: passed',
      'concurrent-burst@refund-version-scoped: passed',
      'sequential-replay@correct-refund: passed',
      'sequential-replay@refund-version-scoped: failed',
    ]);
    const f = r.findings.find((x) => x.kind === 'duplicate-write');
    // The operation's own customer and charge came first, as setup, and are not counted as writes.
    expect(f?.exchanges.filter((e) => e.phase === 'setup').map((e) => new URL(e.request.url).pathname)).toEqual([
      '/refund-version-scoped/v1/customers',
      '/refund-version-scoped/v1/charges',
    ]);
    expect(f?.sideEffects?.observed).toBe(2);
    const refunds =
      f?.exchanges.filter((e) => e.phase !== 'setup' && e.request.method === 'POST').map((e) => e.request.url) ?? [];
    expect(new Set(refunds).size).toBe(1);
    expect(refunds[0]).toMatch(/\/refund-version-scoped\/v1\/charges\/ch_\d+\/refunds$/);
  });

  it('a fingerprint blind to forms replays a changed form (payload-mismatch); silent on the form twin', async () => {
    const r = await auditDemo({
      flaws: 'form-unfingerprinted',
      only: ['payload-mismatch'],
      endpoints: ['form-unfingerprinted', 'correct-charge'],
    });
    expect(findingKeys(r)).toEqual(['mismatch-replayed@form-unfingerprinted']);
    expect(r.findings[0]?.message).toMatch(/Smallest change found: form /);
    expect(r.findings[0]?.exchanges[0]?.request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(statusOn(r, 'correct-charge')).toBe('passed');
  });

  it('a key in the body that the layer never reads (sequential-replay); silent on the body-key twin', async () => {
    const r = await auditDemo({
      flaws: 'body-key-ignored',
      only: ['sequential-replay', 'missing-key'],
      endpoints: ['body-key-ignored', 'correct-body-key'],
    });
    expect(findingKeys(r)).toEqual(['duplicate-write@body-key-ignored']);
    const sent = r.findings[0]?.exchanges[0];
    expect(sent?.request.headers).not.toHaveProperty('Idempotency-Key');
    expect(JSON.parse(sent?.request.body ?? '{}')).toMatchObject({ idempotency_key: sent?.key });
    // Without its body field, the correct twin refuses the request.
    expect(r.attacks.find((a) => a.endpoint === 'correct-body-key' && a.attack === 'missing-key')?.status).toBe(
      'passed',
    );
    expect(statusOn(r, 'correct-body-key')).toBe('passed');
  });
});
