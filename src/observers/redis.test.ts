import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../../test/helpers/redis-server.js';
import { attacks } from '../attacks/index.js';
import { extensionSchemas } from '../engine/extension-schemas.js';
import { loadScenarioText } from '../config/index.js';
import { parseFlaws, startDemoServer } from '../demo/index.js';
import { RedisKeyStore } from '../demo/redis-store.js';
import { runAudit } from '../engine/run-audit.js';
import { ObserverError } from '../errors/errors.js';
import type { Exchange } from '../http/exchange.js';
import { observers } from './index.js';
import type { ObserverEnv, ObserverInstance } from './types.js';
import { evictionFacts, globEscape, redisObserver } from './redis.js';

let redis: RedisServer;
let client: ReturnType<typeof createClient>;
const open: ObserverInstance[] = [];

beforeAll(async () => {
  redis = await startRedis();
  client = createClient({ url: redis.url });
  await client.connect();
});
afterAll(async () => {
  for (const o of open) await o.close?.();
  await client.quit();
  await redis.stop();
});

function observer(extra: Record<string, unknown> = {}): ObserverInstance {
  const options = redisObserver.meta.options.parse({ url: redis.url, key: 'idem:{{key}}', ...extra });
  const o = redisObserver.create(options, {} as ObserverEnv);
  open.push(o);
  return o;
}

function answer(body: string, status = 201): Exchange {
  return {
    id: 1,
    label: 'x',
    attack: 'a',
    endpoint: 'e',
    key: 'k',
    principal: 'default',
    request: { method: 'POST', url: 'http://x/', headers: {}, body: undefined },
    response: { status, headers: {}, body, bytes: body.length, truncated: false },
    timings: { queued: 0 },
  };
}

const record = (state: string, body?: string): string =>
  JSON.stringify({
    state,
    route: 'POST /payments',
    ...(body === undefined ? {} : { response: { status: 201, headers: {}, body } }),
  });

describe('redis observer', () => {
  it('counts the records of one logical key, exact and suffixed, with their PTTL and state', async () => {
    await client.set('idem:k1:key:alice:POST /payments', record('done', '{"id":"p1"}'), { PX: 60_000 });
    await client.set('idem:k10:key:alice:POST /payments', record('done'), { PX: 60_000 }); // another key sharing the prefix
    const one = await observer().count('k1', { exchanges: [answer('{"id":"p1"}'), answer('{"id":"p1"}', 200)] });
    expect(one.count).toBe(1);
    expect(one.detail).toMatch(/1 record\(s\), PTTL \d+ ms, state done/);
    const records = one.facts?.['records'];
    expect(records).toMatchObject([
      { key: 'idem:k1:key:alice:POST /payments', type: 'string', state: 'done', inProgress: false },
    ]);
    const pttl = Array.isArray(records) ? (records[0] as { pttlMs?: unknown }).pttlMs : undefined;
    expect(pttl).toBeGreaterThan(59_000);

    await client.set('idem:k1:key:bob:POST /payments', record('done', '{"id":"p1"}'));
    const two = await observer().count('k1', { exchanges: [] });
    expect(two.count).toBe(2);
    expect((two.facts?.['records'] as unknown[]).length).toBe(2);
  });

  it('counts successful answers no stored response accounts for (the check-then-act race)', async () => {
    await client.set('idem:k2', record('done', '{"id":"p2"}'), { PX: 60_000 });
    const c = await observer().count('k2', {
      exchanges: [answer('{"id":"p2"}'), answer('{"id":"p3"}'), answer('{"id":"p4"}'), answer('{"error":"busy"}', 409)],
    });
    expect(c.count).toBe(3);
    expect(c.facts?.['orphans']).toBe(2);
    expect(c.detail).toMatch(/2 successful answer\(s\) match no stored response/);
  });

  it('matches answers to the stored response whatever its spelling: no phantom execution', async () => {
    // The store re-serialised the body (other key order, no spaces) that the client got pretty-printed.
    await client.set('idem:k4', record('done', '{"amount":1000,"id":"p4"}'), { PX: 60_000 });
    const same = await observer().count('k4', {
      exchanges: [answer('{ "id": "p4", "amount": 1000 }'), answer('{"id":"p4","amount":1000}', 200)],
    });
    expect(same.count).toBe(1);
    expect(same.facts?.['orphans']).toBe(0);
    // A store keeping the body as a JSON value rather than text is matched the same way.
    await client.set('idem:k5', JSON.stringify({ state: 'done', response: { status: 201, body: { id: 'p5' } } }));
    const asValue = await observer().count('k5', { exchanges: [answer('{"id":"p5"}'), answer('{"id":"p6"}')] });
    expect(asValue.count).toBe(2);
    expect(asValue.facts?.['orphans']).toBe(1);
  });

  it('gives up on a Redis that accepts the connection but never answers, and closes without waiting on it', async () => {
    const silent = net.createServer((s) => s.on('error', () => undefined));
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const o = redisObserver.create(
      redisObserver.meta.options.parse({ url: `redis://127.0.0.1:${port}`, key: 'idem:{{key}}', timeoutMs: 300 }),
      {} as ObserverEnv,
    );
    try {
      const t0 = performance.now();
      await expect(o.count('k', { exchanges: [] })).rejects.toThrow(/no answer within 300 ms/);
      expect(performance.now() - t0).toBeLessThan(3000);
      await o.close?.();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  }, 10_000);

  it('reads hashes and flags in-progress states; no record counts 0', async () => {
    await client.hSet('idem:k3', { state: 'processing', owner: 'w1' });
    const c = await observer().count('k3', { exchanges: [] });
    expect(c.facts?.['records']).toEqual([
      { key: 'idem:k3', type: 'hash', pttlMs: -1, state: 'processing', inProgress: true },
    ]);
    expect((await observer().count('absent', { exchanges: [answer('{}')] })).count).toBe(0);
    // A JSON record a target left in flight after answering (what store-audit reports as stuck-in-progress).
    await client.set('idem:k4', JSON.stringify({ state: 'in-flight' }), { PX: 86_400_000 });
    expect((await observer().count('k4', { exchanges: [] })).facts?.['records']).toMatchObject([
      { key: 'idem:k4', type: 'string', state: 'in-flight', inProgress: true },
    ]);
  });

  it('reports the server’s eviction figures, and still counts for a user that may not run INFO', async () => {
    await client.set('idem:k6', record('done', '{"id":"p6"}'), { PX: 60_000 });
    const c = await observer().count('k6', { exchanges: [] });
    expect(c.facts).toMatchObject({ evictedKeys: 0, maxmemory: 0, maxmemoryPolicy: 'noeviction' });
    expect(c.count).toBe(1);
    await client.sendCommand(['ACL', 'SETUSER', 'reader', 'on', '>reader-secret', '~*', '&*', '+@read']);
    try {
      const url = redis.url.replace('redis://', 'redis://reader:reader-secret@');
      const limited = observer({ url });
      for (let i = 0; i < 2; i++) {
        const r = await limited.count('k6', { exchanges: [] });
        expect(r.count).toBe(1);
        expect(r.facts).not.toHaveProperty('evictedKeys');
      }
      expect((await observer({ evictions: false }).count('k6', { exchanges: [] })).facts).not.toHaveProperty(
        'maxmemoryPolicy',
      );
    } finally {
      await client.sendCommand(['ACL', 'DELUSER', 'reader']);
    }
  });

  it('reads the eviction figures from INFO text, leaving out what it does not give', () => {
    const info =
      '# Stats\r\nevicted_keys:42\r\nexpired_keys:3\r\n\n# Memory\r\nmaxmemory:1048576\r\nmaxmemory_policy:allkeys-lru\r\n';
    expect(evictionFacts(info)).toEqual({ evictedKeys: 42, maxmemory: 1_048_576, maxmemoryPolicy: 'allkeys-lru' });
    expect(evictionFacts('# Stats\r\nevicted_keys:\r\n')).toEqual({});
  });

  it('matches the key literally, glob characters included', async () => {
    expect(globEscape('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
    await client.set('idem:zz:1', record('done'));
    expect((await observer().count('z*', { exchanges: [] })).count).toBe(0);
  });

  it('rejects options without {{key}} and reports an unreachable Redis as an observer error', async () => {
    expect(() => redisObserver.meta.options.parse({ url: redis.url, key: 'idem:' })).toThrow(/\{\{key\}\}/);
    const o = redisObserver.create(
      redisObserver.meta.options.parse({ url: 'redis://127.0.0.1:1', key: 'idem:{{key}}' }),
      {} as ObserverEnv,
    );
    await expect(o.count('k', { exchanges: [] })).rejects.toBeInstanceOf(ObserverError);
  });

  it('alone judges a concurrent burst on a read-then-write store (the demo in racy Redis mode) a duplicate write', async () => {
    await client.flushDb();
    const store = await RedisKeyStore.connect({ url: redis.url, mode: 'racy' });
    const server = await startDemoServer({ flaws: parseFlaws('none'), store: () => store });
    try {
      const yaml = `
version: 1
name: redis-racy
target: { baseUrl: "${server.url}", headers: { Authorization: Bearer demo-alice-token } }
endpoints:
  pay:
    request: { method: POST, path: /correct/payments, body: { amount: 1000, currency: usd, customer: cus_42 } }
    observe:
      - redis: { url: "\${REDIS_URL}", key: "idem:{{key}}" }
    suite: none
    attacks: { concurrent-burst: { copies: 10, rounds: 10 } }
`;
      const scenario = loadScenarioText(yaml, '/tmp/redis.yaml', extensionSchemas(), { REDIS_URL: redis.url });
      // Ten rounds of ten: one round that wrote twice is enough, and a loaded machine may need several.
      const r = await runAudit({ scenario, attacks, observers, seed: 11 });
      expect(r.findings.map((x) => x.kind)).toContain('duplicate-write');
      const f = r.findings.find((x) => x.kind === 'duplicate-write');
      expect(f?.sideEffects?.counts.map((c) => c.observer)).toEqual(['redis']);
      expect(f?.sideEffects?.counts[0]?.detail).toMatch(/match no stored response/);
    } finally {
      await server.close();
      await store.close();
    }
  });
});
