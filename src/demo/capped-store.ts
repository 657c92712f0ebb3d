/**
 * A key store with a size cap in front of another store, evicting the least recently used key when
 * full: the in-memory LRU cache (or Redis with maxmemory and an LRU policy) that forgets keys long
 * before their TTL once traffic is high. The lru-eviction flaw; it works in front of any store,
 * since evicting is what `release` does (drop the record).
 */
import type { Ledger } from './ledger.js';
import type { KeyRecord, KeyStore, Reservation, ReserveResult, Scope, StoredResponse } from './store.js';

export class CappedKeyStore implements KeyStore {
  readonly #inner: KeyStore;
  readonly #capacity: number;
  /** Keys by recency: a Map iterates in insertion order, so the first entry is the least recently used. */
  readonly #recent = new Map<string, Scope>();
  readonly atomically?: (scope: Scope, run: (ledger: Ledger) => Promise<StoredResponse>) => Promise<StoredResponse>;

  constructor(inner: KeyStore, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer`);
    this.#inner = inner;
    this.#capacity = capacity;
    const atomically = inner.atomically?.bind(inner);
    if (atomically) this.atomically = atomically;
  }

  /** Keys the cap currently holds. */
  get size(): number {
    return this.#recent.size;
  }

  async get(scope: Scope): Promise<KeyRecord | undefined> {
    const record = await this.#inner.get(scope);
    if (record) this.#touch(scope);
    else this.#recent.delete(id(scope));
    return record;
  }

  async reserve(scope: Scope, reservation: Reservation): Promise<ReserveResult> {
    const outcome = await this.#inner.reserve(scope, reservation);
    this.#touch(scope);
    await this.#evict();
    return outcome;
  }

  async put(scope: Scope, record: KeyRecord): Promise<void> {
    await this.#inner.put(scope, record);
    this.#touch(scope);
    await this.#evict();
  }

  async complete(scope: Scope, response: StoredResponse): Promise<void> {
    await this.#inner.complete(scope, response);
    this.#touch(scope);
  }

  async release(scope: Scope): Promise<void> {
    this.#recent.delete(id(scope));
    await this.#inner.release(scope);
  }

  #touch(scope: Scope): void {
    const key = id(scope);
    this.#recent.delete(key);
    this.#recent.set(key, scope);
  }

  async #evict(): Promise<void> {
    while (this.#recent.size > this.#capacity) {
      const [key, scope] = this.#recent.entries().next().value as [string, Scope];
      this.#recent.delete(key);
      await this.#inner.release(scope);
    }
  }
}

function id(scope: Scope): string {
  return JSON.stringify([scope.index, scope.principal, scope.route, scope.key]);
}
