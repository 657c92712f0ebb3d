/**
 * The ground truth the auditor's observer reads: one row per side effect actually executed,
 * recorded under the idempotency key exactly as the client sent it (never the normalised form a
 * flawed layer stores), so collisions and duplicates show up as row counts.
 */

/** `customer`, `charge` and `completion` are the stateful API's (stateful-api.ts); `order` is orders.ts'. */
export type EffectKind = 'payment' | 'refund' | 'customer' | 'charge' | 'completion' | 'order';

export interface LedgerRow {
  /** 1-based, in execution order within one ledger. */
  readonly seq: number;
  readonly kind: EffectKind;
  /** The created resource, `pay_<n>`, `re_<n>`, `cus_<n>`, `ch_<n>` or `cpl_<n>`. */
  readonly id: string;
  /** The Idempotency-Key header as sent; null when the request carried none. */
  readonly key: string | null;
  readonly principal: string;
  readonly amount: number;
  /** ISO time of execution. */
  readonly at: string;
}

export type NewLedgerEntry = Omit<LedgerRow, 'seq' | 'at'> & { readonly resource: object };

/** Async so a database-backed ledger (shared by several server instances) fits the same shape. */
export interface Ledger {
  record(entry: NewLedgerEntry): Promise<LedgerRow>;
  /** Rows for one key (exact, case-sensitive match), or every row when `key` is undefined. */
  rows(key?: string): Promise<readonly LedgerRow[]>;
  /** The resource body a row created, for `GET /payments/:id`. */
  resource(id: string): Promise<object | undefined>;
}

export class MemoryLedger implements Ledger {
  readonly #rows: LedgerRow[] = [];
  readonly #resources = new Map<string, object>();

  record(entry: NewLedgerEntry): Promise<LedgerRow> {
    const { resource, ...fields } = entry;
    const row: LedgerRow = { seq: this.#rows.length + 1, ...fields, at: new Date().toISOString() };
    this.#rows.push(row);
    this.#resources.set(row.id, resource);
    return Promise.resolve(row);
  }

  rows(key?: string): Promise<readonly LedgerRow[]> {
    return Promise.resolve(key === undefined ? [...this.#rows] : this.#rows.filter((r) => r.key === key));
  }

  resource(id: string): Promise<object | undefined> {
    return Promise.resolve(this.#resources.get(id));
  }
}
