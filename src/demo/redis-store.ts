/**
 * A Redis-backed KeyStore for the demo target, to audit a real external store white-box with
 * the redis observer. One Redis key per record: `<prefix><client key>:<index>:<principal hash>:<route>`,
 * so every record of one logical key shares the prefix `<prefix><client key>`; the value is the
 * record as JSON and Redis' own expiry (PX) enforces the TTL.
 *
 * Modes: `correct` reserves with one atomic SET NX PX; `racy` reads and then writes (a GET, an
 * await, a SET) the way check-then-act code does, so concurrent duplicates all reserve; `short-ttl`
 * keeps records for `shortTtlMs` whatever the layer asks, as a misconfigured expiry would.
 */
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { KeyRecord, KeyStore, Reservation, ReserveResult, Scope, StoredResponse } from './store.js';

export const REDIS_STORE_MODES = ['correct', 'racy', 'short-ttl'] as const;
export type RedisStoreMode = (typeof REDIS_STORE_MODES)[number];

export interface RedisStoreOptions {
  url: string;
  mode?: RedisStoreMode;
  /** Default `idem:`. */
  prefix?: string;
  /** Expiry used by the short-ttl mode. Default 60 s. */
  shortTtlMs?: number;
}

type Client = ReturnType<typeof createClient>;

export class RedisKeyStore implements KeyStore {
  readonly #client: Client;
  readonly #mode: RedisStoreMode;
  readonly #prefix: string;
  readonly #shortTtlMs: number;

  private constructor(client: Client, o: RedisStoreOptions) {
    this.#client = client;
    this.#mode = o.mode ?? 'correct';
    this.#prefix = o.prefix ?? 'idem:';
    this.#shortTtlMs = o.shortTtlMs ?? 60_000;
  }

  static async connect(o: RedisStoreOptions): Promise<RedisKeyStore> {
    // No reconnect loop: an unreachable Redis must fail the start, not hang it.
    const client = createClient({ url: o.url, socket: { connectTimeout: 5000, reconnectStrategy: false } });
    // Without a listener a lost connection would crash the demo process; requests fail instead.
    client.on('error', () => undefined);
    await client.connect();
    return new RedisKeyStore(client, o);
  }

  /** The Redis key of a record. The principal is hashed: it may be a credential, and key names show up in tools and reports. */
  redisKey(scope: Scope): string {
    const principal =
      scope.principal === null ? '*' : createHash('sha256').update(scope.principal).digest('hex').slice(0, 16);
    return `${this.#prefix}${scope.key}:${scope.index}:${principal}:${scope.route ?? '*'}`;
  }

  async get(scope: Scope): Promise<KeyRecord | undefined> {
    const raw = await this.#client.get(this.redisKey(scope));
    return raw === null ? undefined : (JSON.parse(raw) as KeyRecord);
  }

  async reserve(scope: Scope, r: Reservation): Promise<ReserveResult> {
    const createdAt = Date.now();
    const ttl = this.#ttl(r.ttlMs);
    const record: KeyRecord = {
      state: 'in-flight',
      fingerprint: r.fingerprint,
      route: r.route,
      createdAt,
      expiresAt: createdAt + ttl,
    };
    const id = this.redisKey(scope);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.#mode === 'racy') {
        const existing = await this.get(scope);
        if (existing) return { reserved: false, existing };
        await this.#client.set(id, JSON.stringify(record), { PX: ttl });
        return { reserved: true };
      }
      const ok = await this.#client.set(id, JSON.stringify(record), { NX: true, PX: ttl });
      if (ok === 'OK') return { reserved: true };
      const existing = await this.get(scope);
      if (existing) return { reserved: false, existing };
      // Expired between SET NX and GET: try again.
    }
    throw new Error(`redis store: cannot reserve ${id}`);
  }

  async put(scope: Scope, record: KeyRecord): Promise<void> {
    const ttl = this.#ttl(Math.max(1, record.expiresAt - Date.now()));
    await this.#client.set(this.redisKey(scope), JSON.stringify(record), { PX: ttl });
  }

  async complete(scope: Scope, response: StoredResponse): Promise<void> {
    const existing = await this.get(scope);
    if (!existing) return;
    const done: KeyRecord = { ...existing, state: 'done', response };
    // XX + KEEPTTL: never resurrect an expired record, never extend its life.
    await this.#client.set(this.redisKey(scope), JSON.stringify(done), { XX: true, KEEPTTL: true });
  }

  async release(scope: Scope): Promise<void> {
    await this.#client.del(this.redisKey(scope));
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await this.#client.quit();
  }

  #ttl(requested: number): number {
    return this.#mode === 'short-ttl' ? Math.min(requested, this.#shortTtlMs) : requested;
  }
}
