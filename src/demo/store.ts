/**
 * Where the idempotency layer keeps its records. The interface is deliberately small and async so
 * a Postgres or Redis implementation can replace the in-memory one, and several server instances
 * can share one store (the cross-node scenario).
 */
import type { Ledger } from './ledger.js';

/** A response as it went on the wire, so a replay can be byte-identical. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * What a record is stored under. `principal` / `route` are null when the layer (wrongly) does not
 * scope by them; `index` separates client keys from the body index the dedupe-by-body flaw keeps.
 */
export interface Scope {
  readonly index: 'key' | 'body';
  readonly principal: string | null;
  readonly route: string | null;
  readonly key: string;
}

interface RecordBase {
  /** null: stored without a fingerprint (only the error-stored flaw does this); matches any request. */
  readonly fingerprint: string | null;
  /** The route that created the record, e.g. `POST /payments`. */
  readonly route: string;
  /** Epoch milliseconds, so a store shared between processes agrees on expiry. */
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface InFlightRecord extends RecordBase {
  readonly state: 'in-flight';
}

export interface DoneRecord extends RecordBase {
  readonly state: 'done';
  readonly response: StoredResponse;
}

export type KeyRecord = InFlightRecord | DoneRecord;

export interface Reservation {
  readonly fingerprint: string | null;
  readonly route: string;
  readonly ttlMs: number;
  /**
   * An in-flight record for the same request whose owner died (its process crashed, its session to
   * the store ended) may be taken over: the retry then executes as the new owner. Only stores that
   * can tell a dead owner from a slow one do (the demo database, PostgreSQL); in a memory store
   * the owner is this process, alive by definition.
   */
  readonly recoverAbandoned?: boolean;
}

export type ReserveResult = { readonly reserved: true } | { readonly reserved: false; readonly existing: KeyRecord };

export interface KeyStore {
  /** The live record, or undefined when absent or expired. */
  get(scope: Scope): Promise<KeyRecord | undefined>;
  /**
   * Insert an in-flight record unless a live one exists, as one atomic step (a unique insert in SQL,
   * SET NX in Redis). This is what makes concurrent duplicates safe.
   */
  reserve(scope: Scope, reservation: Reservation): Promise<ReserveResult>;
  /** Unconditional upsert: the building block of check-then-act code (the race flaw). */
  put(scope: Scope, record: KeyRecord): Promise<void>;
  /** Mark the record done with its response; a no-op when the record vanished (expired meanwhile). */
  complete(scope: Scope, response: StoredResponse): Promise<void>;
  /** Drop a reservation whose execution failed, so a retry can execute. */
  release(scope: Scope): Promise<void>;
  /**
   * The execution's atomic phase: the side effects `run` writes through the ledger it is handed and
   * the stored response commit together, or (when `run` throws) neither does. Stores that cannot
   * (memory, Redis) leave it out and the layer writes the effect, then completes the key.
   */
  atomically?(scope: Scope, run: (ledger: Ledger) => Promise<StoredResponse>): Promise<StoredResponse>;
  close?(): Promise<void>;
}

export type Clock = () => number;

/** A single-process store. Every method runs synchronously inside, so `reserve` is atomic. */
export class MemoryKeyStore implements KeyStore {
  readonly #records = new Map<string, KeyRecord>();
  readonly #now: Clock;

  constructor(now: Clock = Date.now) {
    this.#now = now;
  }

  get size(): number {
    return this.#records.size;
  }

  get(scope: Scope): Promise<KeyRecord | undefined> {
    return Promise.resolve(this.#live(serialise(scope)));
  }

  reserve(scope: Scope, reservation: Reservation): Promise<ReserveResult> {
    const id = serialise(scope);
    const existing = this.#live(id);
    if (existing) return Promise.resolve({ reserved: false, existing });
    const createdAt = this.#now();
    this.#records.set(id, {
      state: 'in-flight',
      fingerprint: reservation.fingerprint,
      route: reservation.route,
      createdAt,
      expiresAt: createdAt + reservation.ttlMs,
    });
    return Promise.resolve({ reserved: true });
  }

  put(scope: Scope, record: KeyRecord): Promise<void> {
    this.#records.set(serialise(scope), record);
    return Promise.resolve();
  }

  complete(scope: Scope, response: StoredResponse): Promise<void> {
    const id = serialise(scope);
    const existing = this.#live(id);
    if (existing) this.#records.set(id, { ...existing, state: 'done', response });
    return Promise.resolve();
  }

  release(scope: Scope): Promise<void> {
    this.#records.delete(serialise(scope));
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#records.clear();
    return Promise.resolve();
  }

  /** Expiry is lazy: an expired record is deleted when someone next looks at it. */
  #live(id: string): KeyRecord | undefined {
    const record = this.#records.get(id);
    if (record && record.expiresAt <= this.#now()) {
      this.#records.delete(id);
      return undefined;
    }
    return record;
  }
}

/** JSON of a tuple: unambiguous whatever characters the parts contain, and null stays distinct from "null". */
function serialise(scope: Scope): string {
  return JSON.stringify([scope.index, scope.principal, scope.route, scope.key]);
}
