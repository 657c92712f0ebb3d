import net from 'node:net';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { ObserverError } from '../errors/errors.js';
import { sqlObserver } from './sql.js';
import type { ObserverEnv, ObserverInstance } from './types.js';

let db: TestPostgres;
let admin: pg.Client;

beforeAll(async () => {
  db = await startPostgres();
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query('create table payments (id serial primary key, idempotency_key text, amount int)');
}, 120_000);
afterAll(async () => {
  await admin?.end();
  await db?.stop();
});

const env = {} as ObserverEnv;
function observer(o: Record<string, unknown>): ObserverInstance {
  return sqlObserver.create(sqlObserver.meta.options.parse({ url: db.url, ...o }), env);
}
async function direct(key: string): Promise<number> {
  const r = await admin.query<{ n: string }>('select count(*) as n from payments where idempotency_key = $1', [key]);
  return Number(r.rows[0]?.n);
}

describe('sql observer', () => {
  it('counts rows for the key, agreeing with a direct query', async () => {
    await admin.query("insert into payments (idempotency_key, amount) values ('k1', 1), ('k1', 1), ('k2', 5)");
    const o = observer({ query: 'select count(*) from payments where idempotency_key = $1', params: ['{{key}}'] });
    try {
      for (const key of ['k1', 'k2', 'k3']) {
        const c = await o.count(key, { exchanges: [] });
        expect(c.count).toBe(await direct(key));
      }
      expect((await o.count('k1', { exchanges: [] })).count).toBe(2);
    } finally {
      await o.close?.();
    }
  });

  it('counts the growth since the previous observation in delta mode', async () => {
    const o = observer({ query: 'select count(*) from payments', mode: 'delta' });
    try {
      await o.start?.();
      await admin.query('insert into payments (idempotency_key, amount) values (null, 1), (null, 1)');
      expect((await o.count('a', { exchanges: [] })).count).toBe(2);
      await admin.query('insert into payments (idempotency_key, amount) values (null, 1)');
      expect((await o.count('b', { exchanges: [] })).count).toBe(1);
      expect((await o.count('c', { exchanges: [] })).count).toBe(0);
    } finally {
      await o.close?.();
    }
  });

  it('runs read-only: a query that writes fails and changes nothing', async () => {
    const before = await direct('k1');
    const o = observer({
      query: 'with d as (delete from payments where idempotency_key = $1 returning 1) select count(*) from d',
      params: ['{{key}}'],
    });
    try {
      await expect(o.count('k1', { exchanges: [] })).rejects.toThrow(/read-only/);
      expect(await direct('k1')).toBe(before);
    } finally {
      await o.close?.();
    }
  });

  it('runs one statement only: a parameterless query cannot end the read-only transaction and write', async () => {
    await admin.query("insert into payments (idempotency_key, amount) values ('keep-me', 1)");
    const o = observer({
      query: "select count(*) from payments; commit; delete from payments where idempotency_key = 'keep-me'",
      mode: 'delta',
    });
    try {
      await expect(o.count('x', { exchanges: [] })).rejects.toBeInstanceOf(ObserverError);
      expect(await direct('keep-me')).toBe(1);
    } finally {
      await o.close?.();
    }
  });

  it('gives up on a database that stops answering mid-session, and can still be closed', async () => {
    // A proxy that, once frozen, forwards nothing back: the connection stays open, no answer comes.
    const upstream = new URL(db.url);
    const dbPort = Number(upstream.port);
    let frozen = false;
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const server = net.connect(dbPort, upstream.hostname);
      sockets.add(client).add(server);
      client.on('data', (d) => server.write(d));
      server.on('data', (d) => {
        if (!frozen) client.write(d);
      });
      client.on('error', () => undefined);
      server.on('error', () => undefined);
      client.on('close', () => server.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const port = (proxy.address() as net.AddressInfo).port;
    upstream.port = String(port);
    const o = sqlObserver.create(
      sqlObserver.meta.options.parse({
        url: upstream.toString(),
        query: 'select count(*) from payments where idempotency_key = $1',
        params: ['{{key}}'],
        timeoutMs: 1000,
      }),
      env,
    );
    try {
      expect((await o.count('k2', { exchanges: [] })).count).toBe(await direct('k2'));
      frozen = true;
      const t0 = performance.now();
      await expect(o.count('k2', { exchanges: [] })).rejects.toBeInstanceOf(ObserverError);
      expect(performance.now() - t0).toBeLessThan(5000);
      await o.close?.();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  }, 15_000);

  it('bounds a slow query with the statement timeout', async () => {
    const o = observer({
      query: 'select count(*) from payments, pg_sleep(10) where idempotency_key = $1',
      params: ['{{key}}'],
      timeoutMs: 300,
    });
    try {
      const t0 = performance.now();
      await expect(o.count('k1', { exchanges: [] })).rejects.toBeInstanceOf(ObserverError);
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      await o.close?.();
    }
  });

  it('rejects a query that does not give one number, and a count query without the key', async () => {
    const o = observer({ query: 'select id, amount from payments where idempotency_key = $1', params: ['{{key}}'] });
    try {
      await expect(o.count('k1', { exchanges: [] })).rejects.toThrow(/one row with one/);
    } finally {
      await o.close?.();
    }
  });

  it('refuses options PostgreSQL would refuse, when the scenario is loaded rather than at the first count', () => {
    const problems = (o: Record<string, unknown>): string[] =>
      sqlObserver.meta.options
        .safeParse({ url: 'postgres://u@127.0.0.1:9/db', ...o })
        .error?.issues.map((i) => i.message) ?? [];
    expect(problems({ query: 'select count(*) from payments' })).toEqual([
      'a count-mode query must bind {{key}} through params',
    ]);
    expect(problems({ query: "select count(*) from payments where k = '{{key}}'" })).toEqual([
      'the query text is not a template: {{...}} would be sent to the database literally',
    ]);
    expect(problems({ query: 'select count(*) from p where k = $1 and t = $2', params: ['{{key}}'] })).toEqual([
      'the query uses placeholders up to $2 but params gives 1 value(s); PostgreSQL refuses the mismatch',
    ]);
    // $n inside literals, quoted identifiers, dollar quotes and comments is text, not a placeholder.
    expect(
      problems({
        query: `select count(*) from p where k = $1 and note <> '$2' and "col$3" = $q$ $4 $q$ -- $5\n/* $6 */`,
        params: ['{{key}}'],
      }),
    ).toEqual([]);
    expect(problems({ query: 'select count(*) from p', mode: 'delta' })).toEqual([]);
  });
});
