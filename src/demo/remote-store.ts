/**
 * The demo target's side of the demo database (database.ts): a KeyStore and a Ledger over HTTP.
 * Every call has a short timeout, so a database that is down or unreachable is an error at once,
 * never a hang (what the layer then does is its policy: refuse, or fail open). The key store holds
 * a session while the process lives; its reservations carry the session as their owner, and its
 * atomic phase sends the ledger rows and the stored response in one commit that only the owner can
 * make. A session lost with the connection is opened anew (a new owner) on the next reservation.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request, type ClientRequest } from 'node:http';
import type { KeyCall, LedgerCall } from './database.js';
import type { Ledger, LedgerRow, NewLedgerEntry } from './ledger.js';
import type { KeyRecord, KeyStore, Reservation, ReserveResult, Scope, StoredResponse } from './store.js';

const CALL_TIMEOUT_MS = 2_000;

/** The database did not answer: down, unreachable, or too slow. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** One process's connection to the demo database: calls, and the session that says it is alive. */
export class DemoDatabaseClient {
  readonly #url: string;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  #session: { id: string; req: ClientRequest } | undefined;
  #opening: Promise<string> | undefined;
  #closed = false;

  constructor(url: string) {
    this.#url = url.replace(/\/$/, '');
  }

  async call<T>(path: '/keys' | '/ledger', body: KeyCall | LedgerCall): Promise<T> {
    if (this.#closed) throw new StoreUnavailableError('the demo database client is closed');
    const text = JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        `${this.#url}${path}`,
        {
          method: 'POST',
          agent: this.#agent,
          timeout: CALL_TIMEOUT_MS,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(unavailable(err)));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              reject(new Error(`the demo database answered ${res.statusCode ?? '?'}: ${raw.slice(0, 200)}`));
              return;
            }
            try {
              resolve(JSON.parse(raw) as T);
            } catch (err) {
              reject(unavailable(err));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${CALL_TIMEOUT_MS} ms`)));
      req.on('error', (err) => reject(unavailable(err)));
      req.end(text);
    });
  }

  /** The id of this process's live session, opened (anew, after a lost one) when needed. */
  session(): Promise<string> {
    if (this.#session) return Promise.resolve(this.#session.id);
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  close(): void {
    this.#closed = true;
    this.#session?.req.destroy();
    this.#session = undefined;
    this.#agent.destroy();
  }

  #open(): Promise<string> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('the demo database client is closed'));
    const id = randomBytes(12).toString('hex');
    return new Promise<string>((resolve, reject) => {
      const req = request(`${this.#url}/session?id=${id}`, { agent: false, timeout: CALL_TIMEOUT_MS });
      const lost = (): void => {
        if (this.#session?.id === id) this.#session = undefined;
      };
      req.on('response', (res) => {
        // From now on the session is the connection: no timeout, and its end is the owner's death.
        req.setTimeout(0);
        res.on('data', () => undefined);
        res.on('close', lost);
        res.on('error', lost);
        if (res.statusCode !== 200) {
          req.destroy();
          reject(new StoreUnavailableError(`the demo database refused a session (${res.statusCode ?? '?'})`));
          return;
        }
        this.#session = { id, req };
        resolve(id);
      });
      req.on('timeout', () => req.destroy(new Error(`no session within ${CALL_TIMEOUT_MS} ms`)));
      req.on('error', (err) => {
        lost();
        reject(unavailable(err));
      });
      req.end();
    });
  }
}

function unavailable(err: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    `the demo database is unreachable: ${err instanceof Error ? err.message : String(err)}`,
  );
}

function serialise(scope: Scope): string {
  return JSON.stringify([scope.index, scope.principal, scope.route, scope.key]);
}

/** The key records of one variant (`ns`) in the demo database. */
export class RemoteKeyStore implements KeyStore {
  readonly #db: DemoDatabaseClient;
  readonly #ns: string;
  /** The session each of this process's reservations was made under: only that owner may commit or release it. */
  readonly #owners = new Map<string, string>();

  constructor(db: DemoDatabaseClient, ns: string) {
    this.#db = db;
    this.#ns = ns;
  }

  async get(scope: Scope): Promise<KeyRecord | undefined> {
    const r = await this.#db.call<{ record: KeyRecord | null }>('/keys', { op: 'get', ns: this.#ns, scope });
    return r.record ?? undefined;
  }

  async reserve(scope: Scope, reservation: Reservation): Promise<ReserveResult> {
    const owner = await this.#db.session();
    const r = await this.#db.call<{ reserved: boolean; existing?: KeyRecord }>('/keys', {
      op: 'reserve',
      ns: this.#ns,
      scope,
      reservation,
      owner,
    });
    if (r.reserved) {
      this.#owners.set(serialise(scope), owner);
      return { reserved: true };
    }
    if (!r.existing) throw new Error('the demo database refused a reservation without saying why');
    return { reserved: false, existing: r.existing };
  }

  async put(scope: Scope, record: KeyRecord): Promise<void> {
    await this.#db.call('/keys', { op: 'put', ns: this.#ns, scope, record });
  }

  async complete(scope: Scope, response: StoredResponse): Promise<void> {
    await this.#db.call('/keys', { op: 'complete', ns: this.#ns, scope, response });
    this.#owners.delete(serialise(scope));
  }

  async release(scope: Scope): Promise<void> {
    const id = serialise(scope);
    await this.#db.call('/keys', { op: 'release', ns: this.#ns, scope, owner: this.#owners.get(id) ?? null });
    this.#owners.delete(id);
  }

  /**
   * The rows `run` records are held back and sent with the stored response in one commit: a
   * process that dies before it leaves neither behind, and a request whose reservation was taken
   * over meanwhile is refused the commit.
   */
  async atomically(scope: Scope, run: (ledger: Ledger) => Promise<StoredResponse>): Promise<StoredResponse> {
    const id = serialise(scope);
    const rows: NewLedgerEntry[] = [];
    const committed = new RemoteLedger(this.#db, this.#ns);
    const pending: Ledger = {
      record: (entry) => {
        rows.push(entry);
        const { resource: _resource, ...fields } = entry;
        return Promise.resolve({ seq: 0, ...fields, at: new Date().toISOString() });
      },
      rows: (key) => committed.rows(key),
      resource: (rid) => committed.resource(rid),
    };
    const response = await run(pending);
    const r = await this.#db.call<{ committed: boolean; reason?: string }>('/keys', {
      op: 'commit',
      ns: this.#ns,
      scope,
      owner: this.#owners.get(id) ?? null,
      rows,
      response,
    });
    this.#owners.delete(id);
    if (!r.committed) throw new Error(`the commit was refused: ${r.reason ?? 'no reason given'}`);
    return response;
  }
}

/** The ledger of one variant (`ns`) in the demo database. */
export class RemoteLedger implements Ledger {
  readonly #db: DemoDatabaseClient;
  readonly #ns: string;

  constructor(db: DemoDatabaseClient, ns: string) {
    this.#db = db;
    this.#ns = ns;
  }

  async record(entry: NewLedgerEntry): Promise<LedgerRow> {
    return (await this.#db.call<{ row: LedgerRow }>('/ledger', { op: 'record', ns: this.#ns, entry })).row;
  }

  async rows(key?: string): Promise<readonly LedgerRow[]> {
    const r = await this.#db.call<{ rows: LedgerRow[] }>('/ledger', { op: 'rows', ns: this.#ns, key: key ?? null });
    return r.rows;
  }

  async resource(id: string): Promise<object | undefined> {
    const r = await this.#db.call<{ resource: object | null }>('/ledger', { op: 'resource', ns: this.#ns, id });
    return r.resource ?? undefined;
  }
}
