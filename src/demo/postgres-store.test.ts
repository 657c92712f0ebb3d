import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { parseFlaws } from './flaws.js';
import { PostgresDemoDb, PostgresKeyStore, postgresDemoStorage } from './postgres-store.js';
import type { Scope } from './store.js';

let pgServer: TestPostgres;
let db: PostgresDemoDb;

beforeAll(async () => {
  pgServer = await startPostgres();
  db = new PostgresDemoDb(pgServer.url);
  await db.migrate();
}, 120_000);
afterAll(async () => {
  await db?.close();
  await pgServer?.stop();
});

const scope = (key: string): Scope => ({ index: 'key', principal: 'alice', route: 'POST /payments', key });
const reservation = { fingerprint: 'f', route: 'POST /payments', ttlMs: 60_000 };

describe('PostgresKeyStore', () => {
  it('reserves atomically through the unique constraint: one winner among concurrent reservations', async () => {
    const store = db.store('unit', 'constrained');
    const results = await Promise.all(Array.from({ length: 20 }, () => store.reserve(scope('k-atomic'), reservation)));
    expect(results.filter((r) => r.reserved)).toHaveLength(1);
    const loser = results.find((r) => !r.reserved);
    expect(loser && !loser.reserved ? loser.existing.state : undefined).toBe('in-flight');
  });

  it('stores, replays and releases records; null scope parts stay distinct from values', async () => {
    const store = db.store('unit', 'constrained');
    expect((await store.reserve(scope('k1'), reservation)).reserved).toBe(true);
    await store.complete(scope('k1'), { status: 201, headers: { a: 'b' }, body: '{"id":1}' });
    const got = await store.get(scope('k1'));
    expect(got).toMatchObject({ state: 'done', response: { status: 201, body: '{"id":1}' } });
    const unscoped: Scope = { ...scope('k1'), principal: null };
    expect(await store.get(unscoped)).toBeUndefined();
    expect((await store.reserve(unscoped, reservation)).reserved).toBe(true);
    expect((await store.reserve(unscoped, reservation)).reserved).toBe(false);
    await store.release(scope('k1'));
    expect(await store.get(scope('k1'))).toBeUndefined();
  });

  it('lets expired keys be reserved again', async () => {
    const store = db.store('unit', 'constrained');
    expect((await store.reserve(scope('k-exp'), { ...reservation, ttlMs: 1 })).reserved).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.get(scope('k-exp'))).toBeUndefined();
    expect((await store.reserve(scope('k-exp'), reservation)).reserved).toBe(true);
  });
});

describe('PostgresKeyStore.atomically (the execution phase)', () => {
  const entry = (key: string) =>
    ({ kind: 'payment', id: `pay_${key}`, key, principal: 'alice', amount: 1, resource: { id: key } }) as const;

  it('commits the ledger rows and the stored response together', async () => {
    const store = new PostgresKeyStore(db.pool, 'atomic', 'constrained');
    const ledger = db.ledger('atomic');
    expect((await store.reserve(scope('k-commit'), reservation)).reserved).toBe(true);
    const response = await store.atomically(scope('k-commit'), async (tx) => {
      await tx.record(entry('k-commit'));
      // Inside the transaction the row exists; outside it does not yet.
      expect(await ledger.rows('k-commit')).toHaveLength(0);
      return { status: 201, headers: {}, body: '{"id":"pay_k-commit"}' };
    });
    expect(response.status).toBe(201);
    expect(await ledger.rows('k-commit')).toHaveLength(1);
    expect(await store.get(scope('k-commit'))).toMatchObject({ state: 'done', response: { status: 201 } });
  });

  it('rolls the side effect back when execution fails after writing it', async () => {
    const store = new PostgresKeyStore(db.pool, 'atomic', 'constrained');
    const ledger = db.ledger('atomic');
    expect((await store.reserve(scope('k-crash'), reservation)).reserved).toBe(true);
    await expect(
      store.atomically(scope('k-crash'), async (tx) => {
        await tx.record(entry('k-crash'));
        throw new Error('process died after the insert');
      }),
    ).rejects.toThrow('process died');
    expect(await ledger.rows('k-crash')).toHaveLength(0);
    // The key is still reserved, not done: the layer releases it so a retry can execute.
    expect(await store.get(scope('k-crash'))).toMatchObject({ state: 'in-flight' });
  });
});

describe('PostgresKeyStore: reservations of a process that died', () => {
  const recover = { ...reservation, recoverAbandoned: true };
  const entry = { kind: 'order', id: 'ord_x', key: 'k', principal: 'alice', amount: 1, resource: {} } as const;
  const ok = { status: 201, headers: {}, body: '{}' };

  it('are taken over by a retry that asks to recover them once the owner’s connection is gone, and only then', async () => {
    const dead = new PostgresDemoDb(pgServer.url);
    const ns = 'takeover';
    expect((await dead.store(ns, 'constrained').reserve(scope('k-dead'), reservation)).reserved).toBe(true);
    const live = db.store(ns, 'constrained');
    // The owner still holds its lock: in flight, whatever the retry asks.
    expect((await live.reserve(scope('k-dead'), recover)).reserved).toBe(false);
    await dead.close();
    // Gone: a retry that does not recover still finds it in flight; one that does takes it over, once.
    expect((await live.reserve(scope('k-dead'), reservation)).reserved).toBe(false);
    const [a, b] = await Promise.all([
      live.reserve(scope('k-dead'), recover),
      db.store(ns, 'constrained').reserve(scope('k-dead'), recover),
    ]);
    // Exactly one of two concurrent takeovers wins; which one is the database's choice.
    expect([a.reserved, b.reserved].filter(Boolean)).toHaveLength(1);
    // Another request under the key is a mismatch, never a takeover.
    const other = new PostgresDemoDb(pgServer.url);
    expect((await other.store(ns, 'constrained').reserve(scope('k-other'), reservation)).reserved).toBe(true);
    await other.close();
    expect((await live.reserve(scope('k-other'), { ...recover, fingerprint: 'g' })).reserved).toBe(false);
  });

  it('cannot be completed by the owner that lost them: their writes roll back', async () => {
    const a = new PostgresDemoDb(pgServer.url);
    const ns = 'lost';
    const mine = a.store(ns, 'constrained');
    expect((await mine.reserve(scope('k-lost'), reservation)).reserved).toBe(true);
    // A's connection holding its owner lock is cut (a partition, a restarted pooler) while its request still runs.
    const owner = BigInt(await a.owner());
    await db.pool.query(
      `select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory'
       and ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [owner.toString()],
    );
    const retry = db.store(ns, 'constrained');
    for (let i = 0; i < 50 && !(await retry.reserve(scope('k-lost'), recover)).reserved; i++)
      await new Promise((r) => setTimeout(r, 20));
    await retry.atomically?.(scope('k-lost'), async (ledger) => {
      await ledger.record({ ...entry, id: 'ord_retry', key: 'k-lost' });
      return ok;
    });
    await expect(
      mine.atomically?.(scope('k-lost'), async (ledger) => {
        await ledger.record({ ...entry, id: 'ord_late', key: 'k-lost' });
        return ok;
      }),
    ).rejects.toThrow('no longer ours');
    await a.close();
    expect((await db.ledger(ns).rows('k-lost')).map((r) => r.id)).toEqual(['ord_retry']);
  });
});

describe('the demo on PostgreSQL', () => {
  it('finds the real check-then-insert race (no unique constraint) with concurrent-burst', async () => {
    const r = await auditDemo({
      flaws: 'race',
      only: ['concurrent-burst'],
      endpoints: ['race'],
      demo: postgresDemoStorage(db, parseFlaws('race')),
    });
    expect(findingKeys(r)).toContain('duplicate-write@race');
    // Under load a loser sometimes also gets a 5xx, a second symptom of the same race.
    expect(findingKeys(r).filter((k) => k !== 'duplicate-write@race')).toEqual(
      findingKeys(r).filter((k) => k === 'race-error@race'),
    );
  });

  it('finds the race across two nodes sharing the database, and is silent when they share a constrained store', async () => {
    const racy = await auditDemo({
      flaws: 'race',
      seed: 3,
      only: ['cross-node-burst'],
      endpoints: ['race'],
      nodes: 2,
      storage: postgresDemoStorage(db, parseFlaws('race')),
    });
    expect(findingKeys(racy)).toEqual(['duplicate-write@race']);
    const clean = await auditDemo({
      flaws: 'none',
      seed: 4,
      only: ['cross-node-burst'],
      endpoints: ['correct', 'race'],
      nodes: 2,
      storage: postgresDemoStorage(db, parseFlaws('none')),
    });
    expect(clean.findings).toEqual([]);
    expect(clean.attacks.map((a) => a.status)).toEqual(['passed', 'passed']);
  });

  it('is clean on the correct implementation for burst, replay and client-timeout attacks', async () => {
    const r = await auditDemo({
      flaws: 'none',
      // Another seed than the flawed run: the same seed would reuse its keys, and the shared ledger remembers them.
      seed: 2,
      only: ['concurrent-burst', 'sequential-replay', 'client-timeout-retry'],
      endpoints: ['correct', 'race'],
      demo: postgresDemoStorage(db, parseFlaws('none')),
    });
    expect(r.findings).toEqual([]);
    expect(r.attacks.map((a) => a.status)).toEqual(Array.from({ length: 6 }, () => 'passed'));
  });
});
