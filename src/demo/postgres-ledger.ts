/**
 * The demo's ledger on PostgreSQL: one row per side effect, shared by every node on the database,
 * so the ledger observer sees duplicates written by different nodes.
 */
import type pg from 'pg';
import type { EffectKind, Ledger, LedgerRow, NewLedgerEntry } from './ledger.js';

interface Row {
  seq: string;
  kind: EffectKind;
  id: string;
  key: string | null;
  principal: string;
  amount: string;
  at: Date;
}

/** A pool, or the client of an open transaction so the rows commit with it. */
type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export class PostgresLedger implements Ledger {
  readonly #pool: Queryable;
  readonly #ns: string;

  constructor(pool: Queryable, ns: string) {
    this.#pool = pool;
    this.#ns = ns;
  }

  async record(entry: NewLedgerEntry): Promise<LedgerRow> {
    const r = await this.#pool.query<Row>(
      `insert into idem_ledger (ns, kind, id, key, principal, amount, resource) values ($1, $2, $3, $4, $5, $6, $7)
       returning seq, kind, id, key, principal, amount, at`,
      [this.#ns, entry.kind, entry.id, entry.key, entry.principal, entry.amount, JSON.stringify(entry.resource)],
    );
    const row = r.rows[0];
    if (!row) throw new Error('the ledger insert returned no row');
    return toRow(row);
  }

  async rows(key?: string): Promise<readonly LedgerRow[]> {
    const r =
      key === undefined
        ? await this.#pool.query<Row>(
            'select seq, kind, id, key, principal, amount, at from idem_ledger where ns = $1 order by seq',
            [this.#ns],
          )
        : await this.#pool.query<Row>(
            'select seq, kind, id, key, principal, amount, at from idem_ledger where ns = $1 and key = $2 order by seq',
            [this.#ns, key],
          );
    return r.rows.map(toRow);
  }

  async resource(id: string): Promise<object | undefined> {
    const r = await this.#pool.query<{ resource: object }>(
      'select resource from idem_ledger where ns = $1 and id = $2 limit 1',
      [this.#ns, id],
    );
    return r.rows[0]?.resource;
  }
}

function toRow(r: Row): LedgerRow {
  return {
    seq: Number(r.seq),
    kind: r.kind,
    id: r.id,
    key: r.key,
    principal: r.principal,
    amount: Number(r.amount),
    at: r.at.toISOString(),
  };
}
