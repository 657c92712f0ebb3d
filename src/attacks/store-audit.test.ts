import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/helpers/redis-server.js';
import { httpServer } from '../../test/helpers/servers.js';
import { extensionSchemas } from '../engine/extension-schemas.js';
import { loadScenarioText } from '../config/index.js';
import { parseFlaws, startDemoServer } from '../demo/index.js';
import { RedisKeyStore, type RedisStoreMode } from '../demo/redis-store.js';
import type { AuditResult } from '../result/result.js';
import { runAudit } from '../engine/run-audit.js';
import { observers } from '../observers/index.js';
import { auditDemo } from '../../test/helpers/audit-demo.js';
import { attacks } from './index.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

function scenario(baseUrl: string, path: string, attackList: string, extra = ''): string {
  return `
version: 1
name: redis-store
target: { baseUrl: "${baseUrl}", headers: { Authorization: Bearer demo-alice-token } }
contract: { profile: ietf, ttl: 24h }
endpoints:
  pay:
    request: { method: POST, path: ${path}, body: { amount: 1000, currency: usd, customer: cus_42 } }
    observe:
      - redis: { url: "\${REDIS_URL}", key: "idem:{{key}}" }${extra}
    attacks: { ${attackList} }
`;
}

async function auditRedisDemo(mode: RedisStoreMode, attackList: string): Promise<AuditResult> {
  // Every audit with the same seed sends the same keys: start each from an empty store.
  const admin = createClient({ url: redis.url });
  await admin.connect();
  await admin.flushDb();
  await admin.quit();
  const store = await RedisKeyStore.connect({ url: redis.url, mode });
  const server = await startDemoServer({ flaws: parseFlaws('none'), store: () => store });
  try {
    const s = loadScenarioText(
      scenario(server.url, '/correct/payments', attackList),
      '/tmp/redis.yaml',
      extensionSchemas(),
      {
        REDIS_URL: redis.url,
      },
    );
    return await runAudit({ scenario: s, attacks, observers, seed: 11 });
  } finally {
    await server.close();
    await store.close();
  }
}

const kinds = (r: AuditResult): string[] => r.findings.map((f) => f.kind).sort();

describe('store-audit and the redis observer on the demo target with a Redis store', () => {
  it('correct store (SET NX PX): silent, and the record is read with its full TTL', async () => {
    const r = await auditRedisDemo('correct', 'store-audit: {}, concurrent-burst: {}, sequential-replay: {}');
    expect(r.findings).toEqual([]);
    expect(r.attacks.map((a) => a.status)).toEqual(['passed', 'passed', 'passed']);
    const store = r.attacks.find((a) => a.attack === 'store-audit')?.metrics?.['store'] as {
      records: { pttlMs: number; state: string }[];
    };
    expect(store.records).toHaveLength(1);
    expect(store.records[0]?.pttlMs).toBeGreaterThan(86_000_000);
    expect(store.records[0]?.state).toBe('done');
    // The demo's principal is its bearer token: it must not appear in key names, hence in reports.
    expect(JSON.stringify(r)).not.toContain('demo-alice-token');
  });

  it('short expiry: ttl-too-short at once, from one request, without waiting', async () => {
    const started = Date.now();
    const r = await auditRedisDemo('short-ttl', 'store-audit: {}');
    expect(kinds(r)).toEqual(['ttl-too-short']);
    expect(r.findings[0]?.message).toMatch(/expires in [\d.]+ (s|min).*promises 24\.0 h/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('read-then-write store: a concurrent burst judged by the redis observer alone is a duplicate write', async () => {
    // Ten rounds of ten: one round that wrote twice is enough, and a loaded machine may need several.
    const r = await auditRedisDemo('racy', 'concurrent-burst: { copies: 10, rounds: 10 }');
    expect(kinds(r)).toContain('duplicate-write');
    const f = r.findings.find((x) => x.kind === 'duplicate-write');
    expect(f?.sideEffects?.counts.map((c) => c.observer)).toEqual(['redis']);
    expect(f?.sideEffects?.counts[0]?.detail).toMatch(/match no stored response/);
  });

  it('a record left in progress after the answer is stuck-in-progress', async () => {
    const c = createClient({ url: redis.url });
    await c.connect();
    // A target that answers before it completes its record, and never does.
    const stub = await httpServer((req, res) => {
      const key = req.headers['idempotency-key'];
      void (async () => {
        if (typeof key === 'string')
          await c.set(`idem:${key}`, JSON.stringify({ state: 'in-flight' }), { PX: 86_400_000 });
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: randomUUID() }));
      })();
      req.resume();
    });
    try {
      const s = loadScenarioText(
        scenario(stub.url, '/payments', 'store-audit: { settleMs: 100 }'),
        '/tmp/r.yaml',
        extensionSchemas(),
        {
          REDIS_URL: redis.url,
        },
      );
      const r = await runAudit({ scenario: s, attacks, observers, seed: 1 });
      expect(kinds(r)).toEqual(['stuck-in-progress']);
    } finally {
      await stub.close();
      await c.quit();
    }
  });

  it('without a store-reading observer it skips (the demo scenario stays clean)', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['store-audit'] });
    expect(r.findings).toEqual([]);
  });
});
