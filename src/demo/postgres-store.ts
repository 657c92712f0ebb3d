/**
 * The demo's key store on PostgreSQL, shared by every demo node that points at the same database.
 * Correct mode: a unique constraint on the scope (variant, index, principal, route, key), so a
 * reservation is one INSERT … ON CONFLICT DO NOTHING and concurrent duplicates cannot both win.
 * Racy mode (the race flaw): the same table without the constraint, where a check followed by an
 * insert really does let two requests through.
 *
 * Crashes: each demo process holds a session-level advisory lock on its own connection for as long
 * as it lives, and its reservations record that lock's id as their owner. When the process dies,
 * PostgreSQL ends the connection and frees the lock, so a retry can tell an abandoned reservation
 * (owner's lock free) from one still being worked on, and take it over; the atomic phase completes
 * only a reservation its caller still owns, so the one it lost to a takeover is never written twice.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FlawId, DemoVariant } from './flaws.js';
import { PostgresLedger } from './postgres-ledger.js';
import type { Ledger } from './ledger.js';
import type { KeyRecord, KeyStore, Reservation, ReserveResult, Scope, StoredResponse } from './store.js';

const COLUMNS = `ns text not null, idx text not null, principal text, route text, key text not null,
  state text not null, fingerprint text, rec_route text not null, created_at bigint not null,
  expires_at bigint not null, response jsonb`;

const SCHEMA = `
create table if not exists idem_keys (${COLUMNS},
  constraint idem_keys_scope unique nulls not distinct (ns, idx, principal, route, key));
create table if not exists idem_keys_racy (${COLUMNS});
create index if not exists idem_keys_racy_scope on idem_keys_racy (ns, idx, key);
create table if not exists idem_ledger (seq bigserial primary key, ns text not null, kind text not null,
  id text not null, key text, principal text not null, amount bigint not null,
  at timestamptz not null default now(), resource jsonb not null);
create index if not exists idem_ledger_key on idem_ledger (ns, key);
alter table idem_keys add column if not exists owner bigint;
alter table idem_keys_racy add column if not exists owner bigint;`;

/** One pool for every store and ledger of a demo process, and the connection that says the process is alive. */
export class PostgresDemoDb {
  readonly pool: pg.Pool;
  readonly #url: string;
  #owner: Promise<string> | undefined;
  #ownerClient: pg.Client | undefined;

  constructor(url: string) {
    this.#url = url;
    this.pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
    this.pool.on('error', () => undefined);
  }

  /**
   * This process's owner id: the key of a session-level advisory lock held on a dedicated
   * connection. A lost connection (the database went away) means a new owner next time.
   */
  owner(): Promise<string> {
    this.#owner ??= this.#openOwner().catch((err: unknown) => {
      this.#owner = undefined;
      throw err;
    });
    return this.#owner;
  }

  async #openOwner(): Promise<string> {
    // A positive bigint, far from the migration's fixed lock 4242.
    const id = (randomBytes(8).readBigUInt64BE() >> 2n).toString();
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5_000 });
    const lost = (): void => {
      if (this.#ownerClient === client) {
        this.#ownerClient = undefined;
        this.#owner = undefined;
      }
      client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    await client.query('select pg_advisory_lock($1::bigint)', [id]);
    this.#ownerClient = client;
    return id;
  }

  async migrate(): Promise<void> {
    // Two nodes migrating at once would race on `create table if not exists`; the lock serialises them.
    const client = await this.pool.connect();
    try {
      await client.query('select pg_advisory_lock(4242)');
      await client.query(SCHEMA);
    } finally {
      await client.query('select pg_advisory_unlock(4242)').catch(() => undefined);
      client.release();
    }
  }

  store(ns: string, mode: 'constrained' | 'racy'): KeyStore {
    return new PostgresKeyStore(this.pool, ns, mode, Date.now, () => this.owner());
  }

  ledger(ns: string): Ledger {
    return new PostgresLedger(this.pool, ns);
  }

  async close(): Promise<void> {
    const owner = this.#ownerClient;
    this.#ownerClient = undefined;
    this.#owner = undefined;
    await owner?.end().catch(() => undefined);
    await this.pool.end();
  }
}

/** Store and ledger factories for startDemoServer: the race flaw's variant gets the unconstrained table. */
export function postgresDemoStorage(
  db: PostgresDemoDb,
  flaws: ReadonlySet<FlawId>,
): { store: (v: DemoVariant) => KeyStore; ledger: (v: DemoVariant) => Ledger } {
  const stores = new Map<DemoVariant, KeyStore>();
  const ledgers = new Map<DemoVariant, Ledger>();
  return {
    store: (v) => {
      const s = stores.get(v) ?? db.store(v, v === 'race' && flaws.has('race') ? 'racy' : 'constrained');
      stores.set(v, s);
      return s;
    },
    ledger: (v) => {
      const l = ledgers.get(v) ?? db.ledger(v);
      ledgers.set(v, l);
      return l;
    },
  };
}

interface Row {
  owner: string | null;
  state: string;
  fingerprint: string | null;
  rec_route: string;
  created_at: string;
  expires_at: string;
  response: StoredResponse | null;
}

const WHERE = `ns = $1 and idx = $2 and principal is not distinct from $3 and route is not distinct from $4 and key = $5`;

export class PostgresKeyStore implements KeyStore {
  readonly #pool: pg.Pool;
  readonly #ns: string;
  readonly #table: string;
  readonly #now: () => number;
  readonly #owner: () => Promise<string | null>;
  /** The owner each of this process's reservations was made under: only that owner completes or releases it. */
  readonly #owners = new Map<string, string>();

  constructor(
    pool: pg.Pool,
    ns: string,
    mode: 'constrained' | 'racy',
    now: () => number = Date.now,
    owner: () => Promise<string | null> = () => Promise.resolve(null),
  ) {
    this.#pool = pool;
    this.#ns = ns;
    this.#table = mode === 'constrained' ? 'idem_keys' : 'idem_keys_racy';
    this.#now = now;
    this.#owner = owner;
  }

  async get(scope: Scope): Promise<KeyRecord | undefined> {
    const r = await this.#pool.query<Row>(
      `select state, fingerprint, rec_route, created_at, expires_at, response from ${this.#table}
       where ${WHERE} and expires_at > $6 order by created_at desc limit 1`,
      [...this.#scope(scope), this.#now()],
    );
    const row = r.rows[0];
    return row ? toRecord(row) : undefined;
  }

  async reserve(scope: Scope, reservation: Reservation): Promise<ReserveResult> {
    const now = this.#now();
    const owner = await this.#owner();
    await this.#pool.query(`delete from ${this.#table} where ${WHERE} and expires_at <= $6`, [
      ...this.#scope(scope),
      now,
    ]);
    const conflict = this.#table === 'idem_keys' ? 'on conflict on constraint idem_keys_scope do nothing' : '';
    const inserted = await this.#pool.query(
      `insert into ${this.#table} (ns, idx, principal, route, key, state, fingerprint, rec_route, created_at, expires_at, owner)
       values ($1, $2, $3, $4, $5, 'in-flight', $6, $7, $8, $9, $10) ${conflict} returning 1`,
      [...this.#scope(scope), reservation.fingerprint, reservation.route, now, now + reservation.ttlMs, owner],
    );
    if (
      inserted.rowCount === 1 ||
      (reservation.recoverAbandoned === true && (await this.#takeOver(scope, reservation, owner)))
    ) {
      if (owner !== null) this.#owners.set(JSON.stringify(this.#scope(scope)), owner);
      return { reserved: true };
    }
    const existing = await this.get(scope);
    // Expired between the insert and the read: the next attempt will succeed.
    return existing ? { reserved: false, existing } : this.reserve(scope, reservation);
  }

  /**
   * Takes over an in-flight reservation for the same request whose owner is gone: its advisory lock
   * is free, which PostgreSQL guarantees only once the owner's connection has ended.
   */
  async #takeOver(scope: Scope, reservation: Reservation, owner: string | null): Promise<boolean> {
    if (owner === null || this.#table !== 'idem_keys') return false;
    return this.#inTransaction(async (client) => {
      const r = await client.query<Row>(
        `select owner, state, fingerprint from idem_keys where ${WHERE} and expires_at > $6 for update`,
        [...this.#scope(scope), this.#now()],
      );
      const row = r.rows[0];
      const candidate =
        row !== undefined &&
        row.state === 'in-flight' &&
        row.owner !== null &&
        row.owner !== owner &&
        (row.fingerprint === null || row.fingerprint === reservation.fingerprint);
      let taken = false;
      if (candidate) {
        const free = await client.query<{ free: boolean }>('select pg_try_advisory_xact_lock($1::bigint) as free', [
          row.owner,
        ]);
        if (free.rows[0]?.free === true) {
          const now = this.#now();
          await client.query(`update idem_keys set owner = $6, created_at = $7, expires_at = $8 where ${WHERE}`, [
            ...this.#scope(scope),
            owner,
            now,
            now + reservation.ttlMs,
          ]);
          taken = true;
        }
      }
      return taken;
    });
  }

  async put(scope: Scope, record: KeyRecord): Promise<void> {
    const values = [
      ...this.#scope(scope),
      record.state,
      record.fingerprint,
      record.route,
      record.createdAt,
      record.expiresAt,
      record.state === 'done' ? JSON.stringify(record.response) : null,
    ];
    const conflict =
      this.#table === 'idem_keys'
        ? `on conflict on constraint idem_keys_scope do update set state = excluded.state, fingerprint = excluded.fingerprint,
           rec_route = excluded.rec_route, created_at = excluded.created_at, expires_at = excluded.expires_at, response = excluded.response`
        : '';
    await this.#pool.query(
      `insert into ${this.#table} (ns, idx, principal, route, key, state, fingerprint, rec_route, created_at, expires_at, response)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ${conflict}`,
      values,
    );
  }

  async complete(scope: Scope, response: StoredResponse): Promise<void> {
    await this.#pool.query(
      `update ${this.#table} set state = 'done', response = $7 where ${WHERE} and expires_at > $6`,
      [...this.#scope(scope), this.#now(), JSON.stringify(response)],
    );
  }

  /**
   * Brandur's rocket-rides-atomic, reduced to the demo's two phases: the reservation above commits
   * on its own (the recovery point "started"); the ledger rows and the stored response then commit in
   * one transaction. A crash or error in between leaves no side effect behind a reserved key. The
   * ledger rows go to this store's namespace, which is the variant, as the ledger's own does.
   */
  async atomically(scope: Scope, run: (ledger: Ledger) => Promise<StoredResponse>): Promise<StoredResponse> {
    const id = JSON.stringify(this.#scope(scope));
    const response = await this.#inTransaction(async (client) => {
      const response = await run(new PostgresLedger(client, this.#ns));
      const done = await client.query(
        `update ${this.#table} set state = 'done', response = $7
       where ${WHERE} and expires_at > $6 and owner is not distinct from $8::bigint`,
        [...this.#scope(scope), this.#now(), JSON.stringify(response), this.#owners.get(id) ?? null],
      );
      // Taken over by a retry that presumed this owner dead: its writes must not commit a second time.
      if (done.rowCount === 0) throw new Error('the reservation is no longer ours; nothing committed');
      return response;
    });
    this.#owners.delete(id);
    return response;
  }

  /**
   * `work` in one transaction on a client of its own: committed when it returns, rolled back when it
   * throws. A client whose rollback failed may still hold the transaction: destroyed, never reused.
   */
  async #inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const out = await work(client);
      await client.query('commit');
      return out;
    } catch (err) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async release(scope: Scope): Promise<void> {
    const id = JSON.stringify(this.#scope(scope));
    await this.#pool.query(`delete from ${this.#table} where ${WHERE} and owner is not distinct from $6::bigint`, [
      ...this.#scope(scope),
      this.#owners.get(id) ?? null,
    ]);
    this.#owners.delete(id);
  }

  #scope(s: Scope): [string, string, string | null, string | null, string] {
    return [this.#ns, s.index, s.principal, s.route, s.key];
  }
}

function toRecord(row: Row): KeyRecord {
  const base = {
    fingerprint: row.fingerprint,
    route: row.rec_route,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
  return row.state === 'done' && row.response
    ? { ...base, state: 'done', response: row.response }
    : { ...base, state: 'in-flight' };
}
