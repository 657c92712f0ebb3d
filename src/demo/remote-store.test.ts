import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoDatabase, type DemoDatabase } from './database.js';
import { DemoDatabaseClient, RemoteKeyStore, RemoteLedger, StoreUnavailableError } from './remote-store.js';
import type { Scope } from './store.js';
import { TcpProxy } from './tcp-proxy.js';
import { freePort } from './free-port.js';

let db: DemoDatabase;
const clients: DemoDatabaseClient[] = [];
const client = (url = db.url): DemoDatabaseClient => {
  const c = new DemoDatabaseClient(url);
  clients.push(c);
  return c;
};
beforeAll(async () => {
  db = await startDemoDatabase();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await db.close();
});

const scope = (key: string): Scope => ({ index: 'key', principal: 'alice', route: 'POST /orders', key });
const reservation = { fingerprint: 'f', route: 'POST /orders', ttlMs: 60_000 };
const recover = { ...reservation, recoverAbandoned: true };
const ok = { status: 201, headers: {}, body: '{"id":"ord_1"}' };
const entry = (id: string, key: string) =>
  ({ kind: 'order', id, key, principal: 'alice', amount: 1, resource: { id } }) as const;
const until = async (check: () => Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('RemoteKeyStore on the demo database', () => {
  it('reserves atomically, stores, replays and releases', async () => {
    const store = new RemoteKeyStore(client(), 'basic');
    const results = await Promise.all(Array.from({ length: 10 }, () => store.reserve(scope('k1'), reservation)));
    expect(results.filter((r) => r.reserved)).toHaveLength(1);
    await store.complete(scope('k1'), ok);
    expect(await store.get(scope('k1'))).toMatchObject({ state: 'done', response: ok });
    // A failed execution releases its own reservation, so the retry can run.
    expect((await store.reserve(scope('k2'), reservation)).reserved).toBe(true);
    await store.release(scope('k2'));
    expect(await store.get(scope('k2'))).toBeUndefined();
  });

  it('commits the rows and the response together, or nothing when the process dies first', async () => {
    const c = client();
    const store = new RemoteKeyStore(c, 'atomic');
    const ledger = new RemoteLedger(c, 'atomic');
    expect((await store.reserve(scope('k-ok'), reservation)).reserved).toBe(true);
    await store.atomically(scope('k-ok'), async (l) => {
      await l.record(entry('ord_ok', 'k-ok'));
      // Nothing is visible before the commit.
      expect(await ledger.rows('k-ok')).toEqual([]);
      return ok;
    });
    expect((await ledger.rows('k-ok')).map((r) => r.id)).toEqual(['ord_ok']);
    expect(await store.get(scope('k-ok'))).toMatchObject({ state: 'done' });

    const dying = client();
    const doomed = new RemoteKeyStore(dying, 'atomic');
    expect((await doomed.reserve(scope('k-dead'), reservation)).reserved).toBe(true);
    await expect(
      doomed.atomically(scope('k-dead'), async (l) => {
        await l.record(entry('ord_dead', 'k-dead'));
        dying.close(); // the process dies before its commit
        return ok;
      }),
    ).rejects.toThrow(StoreUnavailableError);
    expect(await ledger.rows('k-dead')).toEqual([]);
  });

  it('lets a retry take over a reservation only once its owner’s session ended, for the same request', async () => {
    const a = client();
    const first = new RemoteKeyStore(a, 'takeover');
    const retry = new RemoteKeyStore(client(), 'takeover');
    expect((await first.reserve(scope('k'), reservation)).reserved).toBe(true);
    expect((await retry.reserve(scope('k'), recover)).reserved).toBe(false);
    a.close();
    expect((await retry.reserve(scope('k'), reservation)).reserved).toBe(false);
    expect((await retry.reserve(scope('k'), { ...recover, fingerprint: 'other' })).reserved).toBe(false);
    await until(async () => (await retry.reserve(scope('k'), recover)).reserved);
    expect(await retry.get(scope('k'))).toMatchObject({ state: 'in-flight' });
    await retry.atomically(scope('k'), () => Promise.resolve(ok));
    expect(await retry.get(scope('k'))).toMatchObject({ state: 'done' });
  });

  it('refuses the commit of an owner whose reservation was taken over, and its release', async () => {
    const keysA = client();
    const a = new RemoteKeyStore(keysA, 'lost');
    expect((await a.reserve(scope('k'), reservation)).reserved).toBe(true);
    // A's session is cut (its connection to the store dropped) while its request still runs.
    const proxyless = keysA as unknown as { close(): void };
    const b = new RemoteKeyStore(client(), 'lost');
    proxyless.close();
    await until(async () => (await b.reserve(scope('k'), recover)).reserved);
    const aAgain = new RemoteKeyStore(client(), 'lost');
    await aAgain.release(scope('k')); // no reservation of its own: nothing released
    expect(await b.get(scope('k'))).toMatchObject({ state: 'in-flight' });
    await expect(aAgain.atomically(scope('k'), () => Promise.resolve(ok))).rejects.toThrow(
      'the commit was refused: the reservation belongs to someone else',
    );
  });

  it('fails at once, never hangs, when the database cannot be reached (a switched-off proxy, a closed port)', async () => {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: db.port });
    await proxy.enable();
    const store = new RemoteKeyStore(client(proxy.url), 'proxied');
    expect((await store.reserve(scope('k-p'), reservation)).reserved).toBe(true);
    await proxy.disable();
    const t0 = Date.now();
    await expect(store.get(scope('k-p'))).rejects.toThrow(StoreUnavailableError);
    await expect(store.reserve(scope('k-q'), reservation)).rejects.toThrow(StoreUnavailableError);
    expect(Date.now() - t0).toBeLessThan(1_000);
    await proxy.enable();
    expect(await store.get(scope('k-p'))).toMatchObject({ state: 'in-flight' });
    await proxy.close();
    const nowhere = new RemoteKeyStore(client(`http://127.0.0.1:${await freePort()}`), 'x');
    await expect(nowhere.get(scope('k'))).rejects.toThrow(/the demo database is unreachable: .*ECONNREFUSED/);
  });
});

describe('TcpProxy', () => {
  it('cuts its connections and refuses new ones when switched off, and listens on the same port again', async () => {
    const proxy = new TcpProxy({ host: '127.0.0.1', port: db.port });
    await proxy.enable();
    const port = proxy.port;
    const c = client(proxy.url);
    await c.session();
    await proxy.disable();
    expect(proxy.enabled).toBe(false);
    await expect(c.call('/ledger', { op: 'rows', ns: 'x', key: null })).rejects.toThrow(/ECONNREFUSED/);
    await proxy.enable();
    expect(proxy.port).toBe(port);
    expect(await c.call('/ledger', { op: 'rows', ns: 'x', key: null })).toEqual({ rows: [] });
    await proxy.close();
  });
});
