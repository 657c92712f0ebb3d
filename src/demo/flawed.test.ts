import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PAYMENT,
  burst,
  ledger,
  newCharge,
  newCustomer,
  newKey,
  post,
  postForm,
  rowsFor,
} from './__fixtures__/client.js';
import { SinkServer } from '../observers/sink-server.js';
import { startDemoCluster } from './cluster.js';
import { LRU_CAPACITY, SHORT_TTL_MS } from './policies.js';
import { MemoryKeyStore, type KeyStore, type Reservation, type ReserveResult, type Scope } from './store.js';
import { FLAWS, startDemoServer, type DemoServer, type DemoVariant, type FlawId } from './index.js';
import { startDemoDatabase, type DemoDatabase } from './database.js';
import { DemoDatabaseClient, RemoteKeyStore, RemoteLedger, StoreUnavailableError } from './remote-store.js';

/**
 * Each flaw is probed twice on its own prefix: on a server where it is switched on (the probe must
 * show the misbehaviour) and on one where it is not (the same probe must show correct behaviour).
 */
let flawed: DemoServer;
let clean: DemoServer;
// The provider `/charges` calls: a recording stub that can lose its answers on command.
const sink = new SinkServer({
  host: '127.0.0.1',
  port: 0,
  key: 'header:Idempotency-Key',
  reference: 'header:X-Demo-Reference',
  hangMs: 5_000,
});

/**
 * Keys the servers have reserved. A probe that needs the server to hold a request (to abandon it,
 * or to send a duplicate while it runs) waits for its reservation instead of sleeping: on a loaded
 * machine a process that gets no CPU for longer than the sleep wakes up to its timer before it
 * reads the request, and the abort or duplicate then lands first.
 */
const reserved = new Set<string>();
const awaitingReservation = new Map<string, () => void>();

class WatchedStore extends MemoryKeyStore {
  override async reserve(scope: Scope, reservation: Reservation): Promise<ReserveResult> {
    const result = await super.reserve(scope, reservation);
    if (result.reserved) {
      reserved.add(scope.key);
      awaitingReservation.get(scope.key)?.();
    }
    return result;
  }
}
const stores: WatchedStore[] = [];
const watchedStore = (): WatchedStore => {
  const store = new WatchedStore();
  stores.push(store);
  return store;
};

/** Resolves once a server has reserved `key`; bounded, so a request that never arrives fails the probe. */
function reservation(key: string, timeoutMs = 10_000): Promise<void> {
  if (reserved.has(key)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      awaitingReservation.delete(key);
      reject(new Error(`no server reserved key ${key} within ${timeoutMs} ms`));
    }, timeoutMs);
    awaitingReservation.set(key, () => {
      clearTimeout(timer);
      awaitingReservation.delete(key);
      resolve();
    });
  });
}

beforeAll(async () => {
  await sink.listen();
  [flawed, clean] = await Promise.all([
    startDemoServer({ flaws: new Set(FLAWS), raceWindow: 15, downstreamUrl: sink.url, store: watchedStore }),
    startDemoServer({ flaws: new Set(), downstreamUrl: sink.url, store: watchedStore }),
  ]);
});
afterAll(async () => {
  await Promise.all([flawed.close(), clean.close(), sink.close(), ...stores.map((s) => s.close())]);
});

interface Probe<T> {
  run(base: string, prefix: string, variant: DemoVariant): Promise<T>;
  whenFlawed(observed: T): void;
  whenCorrect(observed: T): void;
}

/** Two requests, recording what the second got and how often things executed. */
interface Pair {
  readonly status: number;
  readonly replayed: boolean;
  readonly sameBody: boolean;
  readonly sameId: boolean;
  readonly rows: number;
}

function probe<T>(p: Probe<T>): Probe<T> {
  return p;
}

/** The flaws of the server `base` is (all or none), for probes that start servers of their own. */
const flawsOf = (base: string): Set<FlawId> => (base === flawed.url ? new Set(FLAWS) : new Set());

/**
 * A demo process whose keys and records are in the demo database (one client, one session, like a
 * process's connection): stopping it with its client is what a crash does to its side of the database.
 */
async function databaseProcess(db: DemoDatabase, flaws: ReadonlySet<FlawId>) {
  const client = new DemoDatabaseClient(db.url);
  const server = await startDemoServer({
    flaws,
    store: (v) => new RemoteKeyStore(client, v),
    ledger: (v) => new RemoteLedger(client, v),
  });
  return {
    url: server.url,
    stop: async () => {
      client.close();
      await server.close();
    },
  };
}

async function withDatabase<T>(run: (db: DemoDatabase) => Promise<T>): Promise<T> {
  const db = await startDemoDatabase();
  try {
    return await run(db);
  } finally {
    await db.close();
  }
}

/** Retries `send` until `done` says its answer is the one awaited; bounded. */
async function until<T>(send: () => Promise<T>, done: (t: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const t = await send();
    if (done(t) || Date.now() - t0 > timeoutMs) return t;
    await sleep(20);
  }
}

async function pair(
  base: string,
  prefix: string,
  variant: DemoVariant,
  first: { path?: string; body: unknown; key?: string; principal?: string },
  second: { path?: string; body: unknown; key?: string; principal?: string },
  rowsKey: string,
): Promise<Pair> {
  const a = await post(base, `${prefix}${first.path ?? '/payments'}`, first.body, {
    key: first.key,
    ...(first.principal === undefined ? {} : { principal: first.principal }),
  });
  const b = await post(base, `${prefix}${second.path ?? '/payments'}`, second.body, {
    key: second.key,
    ...(second.principal === undefined ? {} : { principal: second.principal }),
  });
  return {
    status: b.status,
    replayed: b.headers.get('idempotent-replayed') === 'true',
    sameBody: a.text === b.text,
    sameId: a.body['id'] !== undefined && a.body['id'] === b.body['id'],
    rows: await rowsFor(base, variant, rowsKey),
  };
}

const PROBES: { readonly [F in FlawId]: Probe<unknown> } = {
  race: probe({
    // A starved event loop can close the window by chance, so a few bursts are allowed to show the
    // duplicate; the correct layer must hold for all of them.
    async run(base, prefix, variant) {
      let maxRows = 0;
      let fiveXx = 0;
      for (let attempt = 0; attempt < 5 && maxRows < 2; attempt++) {
        const key = newKey();
        const replies = await burst(base, `${prefix}/payments`, PAYMENT, 20, { key });
        fiveXx += replies.filter((r) => r.status >= 500).length;
        maxRows = Math.max(maxRows, await rowsFor(base, variant, key));
      }
      return { maxRows, fiveXx };
    },
    whenFlawed: (o) =>
      expect(o).toMatchObject({ maxRows: expect.toSatisfy((n: number) => n > 1) as unknown, fiveXx: 0 }),
    whenCorrect: (o) => expect(o).toEqual({ maxRows: 1, fiveXx: 0 }),
  }),
  'ignore-key': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const replayed = await pair(base, prefix, variant, { body: PAYMENT, key }, { body: PAYMENT, key }, key);
      const keyless = await post(base, `${prefix}/payments`, PAYMENT);
      return { rows: replayed.rows, keyless: keyless.status };
    },
    whenFlawed: (o) => expect(o).toEqual({ rows: 2, keyless: 201 }),
    whenCorrect: (o) => expect(o).toEqual({ rows: 1, keyless: 400 }),
  }),
  'key-optional': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const keyed = await pair(base, prefix, variant, { body: PAYMENT, key }, { body: PAYMENT, key }, key);
      const keyless = await post(base, `${prefix}/payments`, PAYMENT);
      return { keyedRows: keyed.rows, keyless: keyless.status };
    },
    whenFlawed: (o) => expect(o).toEqual({ keyedRows: 1, keyless: 201 }),
    whenCorrect: (o) => expect(o).toEqual({ keyedRows: 1, keyless: 400 }),
  }),
  'no-fingerprint': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      return pair(base, prefix, variant, { body: PAYMENT, key }, { body: { ...PAYMENT, amount: 99 }, key }, key);
    },
    whenFlawed: (o) => expect(o).toMatchObject({ status: 201, replayed: true, sameId: true, rows: 1 }),
    whenCorrect: (o) => expect(o).toMatchObject({ status: 422, sameId: false, rows: 1 }),
  }),
  'amount-only-fingerprint': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const customer = await pair(
        base,
        prefix,
        variant,
        { body: PAYMENT, key },
        { body: { ...PAYMENT, customer: 'cus_other', currency: 'eur' }, key },
        key,
      );
      const amount = await post(base, `${prefix}/payments`, { ...PAYMENT, amount: 7 }, { key });
      return { customer: customer.status, customerSameId: customer.sameId, amount: amount.status, rows: customer.rows };
    },
    whenFlawed: (o) => expect(o).toEqual({ customer: 201, customerSameId: true, amount: 422, rows: 1 }),
    whenCorrect: (o) => expect(o).toEqual({ customer: 422, customerSameId: false, amount: 422, rows: 1 }),
  }),
  'byte-exact-fingerprint': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      return pair(
        base,
        prefix,
        variant,
        { body: '{"amount":1000,"currency":"usd","customer":"cus_42"}', key },
        { body: '{\n  "customer": "cus_42",\n  "amount": 1000,\n  "currency": "usd"\n}', key },
        key,
      );
    },
    whenFlawed: (o) => expect(o).toMatchObject({ status: 422, rows: 1 }),
    whenCorrect: (o) => expect(o).toMatchObject({ status: 201, replayed: true, sameBody: true, rows: 1 }),
  }),
  'endpoint-blind': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const p = await pair(
        base,
        prefix,
        variant,
        { body: PAYMENT, key },
        { path: '/refunds', body: { payment: 'pay_1', amount: 100 }, key },
        key,
      );
      // Within one endpoint the fingerprint is still checked.
      const sameRoute = await post(base, `${prefix}/payments`, { ...PAYMENT, amount: 1 }, { key });
      return { ...p, sameRoute: sameRoute.status };
    },
    whenFlawed: (o) => expect(o).toMatchObject({ status: 201, sameId: true, replayed: true, rows: 1, sameRoute: 422 }),
    whenCorrect: (o) =>
      expect(o).toMatchObject({ status: 201, sameId: false, replayed: false, rows: 2, sameRoute: 422 }),
  }),
  'no-principal-scope': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const p = await pair(
        base,
        prefix,
        variant,
        { body: PAYMENT, key, principal: 'alice' },
        { body: PAYMENT, key, principal: 'bob' },
        key,
      );
      const principals = (await ledger(base, variant, key)).rows.map((r) => r.principal).sort();
      return { ...p, principals };
    },
    whenFlawed: (o) => expect(o).toMatchObject({ status: 201, sameId: true, principals: ['Bearer alice'] }),
    whenCorrect: (o) =>
      expect(o).toMatchObject({ status: 201, sameId: false, principals: ['Bearer alice', 'Bearer bob'] }),
  }),
  'error-stored': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      return pair(base, prefix, variant, { body: { ...PAYMENT, currency: 'USD' }, key }, { body: PAYMENT, key }, key);
    },
    whenFlawed: (o) => expect(o).toMatchObject({ status: 400, replayed: true, sameBody: true, rows: 0 }),
    whenCorrect: (o) => expect(o).toMatchObject({ status: 201, replayed: false, rows: 1 }),
  }),
  'key-truncation': probe({
    async run(base, prefix, variant) {
      const stem = newKey('long').padEnd(64, 'p');
      const a = `${stem}${'a'.repeat(36)}`;
      const b = `${stem}${'b'.repeat(36)}`;
      const p = await pair(base, prefix, variant, { body: PAYMENT, key: a }, { body: PAYMENT, key: b }, b);
      return { status: p.status, sameId: p.sameId, rowsB: p.rows, rowsA: await rowsFor(base, variant, a) };
    },
    whenFlawed: (o) => expect(o).toEqual({ status: 201, sameId: true, rowsA: 1, rowsB: 0 }),
    whenCorrect: (o) => expect(o).toEqual({ status: 201, sameId: false, rowsA: 1, rowsB: 1 }),
  }),
  'case-fold': probe({
    async run(base, prefix, variant) {
      const key = newKey('UPPER');
      const lower = key.toLowerCase();
      const p = await pair(base, prefix, variant, { body: PAYMENT, key }, { body: PAYMENT, key: lower }, lower);
      return { sameId: p.sameId, rowsLower: p.rows, rowsOriginal: await rowsFor(base, variant, key) };
    },
    whenFlawed: (o) => expect(o).toEqual({ sameId: true, rowsOriginal: 1, rowsLower: 0 }),
    whenCorrect: (o) => expect(o).toEqual({ sameId: false, rowsOriginal: 1, rowsLower: 1 }),
  }),
  'replay-divergent': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      return pair(base, prefix, variant, { body: PAYMENT, key }, { body: PAYMENT, key }, key);
    },
    whenFlawed: (o) => expect(o).toMatchObject({ status: 200, replayed: false, sameId: true, rows: 1 }),
    whenCorrect: (o) => expect(o).toMatchObject({ status: 201, replayed: true, sameBody: true, rows: 1 }),
  }),
  'dedupe-by-body': probe({
    async run(base, prefix, variant) {
      const [k1, k2] = [newKey(), newKey()];
      const p = await pair(base, prefix, variant, { body: PAYMENT, key: k1 }, { body: PAYMENT, key: k2 }, k2);
      // Reusing a key with another body is still caught.
      const mismatch = await post(base, `${prefix}/payments`, { ...PAYMENT, amount: 3 }, { key: k1 });
      return { sameId: p.sameId, rowsSecondKey: p.rows, mismatch: mismatch.status };
    },
    whenFlawed: (o) => expect(o).toEqual({ sameId: true, rowsSecondKey: 0, mismatch: 422 }),
    whenCorrect: (o) => expect(o).toEqual({ sameId: false, rowsSecondKey: 1, mismatch: 422 }),
  }),
  'in-flight-executed': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const slow = post(base, `${prefix}/payments`, PAYMENT, { key, headers: { 'x-demo-processing-ms': '300' } });
      await reservation(key);
      const dup = await post(base, `${prefix}/payments`, PAYMENT, { key });
      await slow;
      return { dup: dup.status, rows: await rowsFor(base, variant, key) };
    },
    whenFlawed: (o) => expect(o).toEqual({ dup: 201, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ dup: 409, rows: 1 }),
  }),
  'abandon-on-disconnect': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      // fetch with a keep-alive agent may reuse the socket; aborting it closes this request's stream.
      const gone = new AbortController();
      const first = post(base, `${prefix}/payments`, PAYMENT, {
        key,
        headers: { 'x-demo-processing-ms': '200' },
        signal: gone.signal,
      }).catch(() => 'aborted' as const);
      // Only once the server holds the request does leaving it abandon an execution.
      await reservation(key);
      gone.abort();
      await first;
      // The server's 200 ms of work was timed from the reservation, before this wait: its timer fires first.
      await sleep(350);
      const retry = await post(base, `${prefix}/payments`, PAYMENT, { key });
      return { retry: retry.status, rows: await rowsFor(base, variant, key) };
    },
    // Stuck: refused as in flight long after the abandoned request would have finished.
    whenFlawed: (o) => expect(o).toEqual({ retry: 409, rows: 0 }),
    // The abandoned client's request completed anyway; the retry gets its stored result.
    whenCorrect: (o) => expect(o).toEqual({ retry: 201, rows: 1 }),
  }),
  'error-cached': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const failed = await post(base, `${prefix}/payments`, PAYMENT, { key, headers: { 'x-demo-fail': '1' } });
      const retry = await post(base, `${prefix}/payments`, PAYMENT, { key });
      return { failed: failed.status, retry: retry.status, rows: await rowsFor(base, variant, key) };
    },
    whenFlawed: (o) => expect(o).toEqual({ failed: 500, retry: 500, rows: 0 }),
    whenCorrect: (o) => expect(o).toEqual({ failed: 500, retry: 201, rows: 1 }),
  }),
  'per-node-store': probe({
    // One server cannot show it: a two-node cluster with the same flaws as `base` can.
    async run(base, prefix, variant) {
      const cluster = await startDemoCluster({ nodes: 2, flaws: base === flawed.url ? new Set(FLAWS) : new Set() });
      try {
        const [a, b] = cluster.nodes;
        if (!a || !b) throw new Error('the cluster did not start two nodes');
        const key = newKey();
        await post(a.url, `${prefix}/payments`, PAYMENT, { key });
        const second = await post(b.url, `${prefix}/payments`, PAYMENT, { key });
        return {
          second: second.status,
          replayed: second.headers.get('idempotent-replayed'),
          rows: await rowsFor(a.url, variant, key),
        };
      } finally {
        await cluster.close();
      }
    },
    whenFlawed: (o) => expect(o).toEqual({ second: 201, replayed: null, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ second: 201, replayed: 'true', rows: 1 }),
  }),
  'lru-eviction': probe({
    // One key, then more fresh keys than the capped store holds, then the first key again.
    async run(base, prefix, variant) {
      const key = newKey();
      await post(base, `${prefix}/payments`, PAYMENT, { key });
      await Promise.all(
        Array.from({ length: LRU_CAPACITY + 1 }, () =>
          post(base, `${prefix}/payments`, PAYMENT, { key: newKey('fill') }),
        ),
      );
      const again = await post(base, `${prefix}/payments`, PAYMENT, { key });
      return {
        again: again.status,
        replayed: again.headers.get('idempotent-replayed'),
        rows: await rowsFor(base, variant, key),
      };
    },
    whenFlawed: (o) => expect(o).toEqual({ again: 201, replayed: null, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ again: 201, replayed: 'true', rows: 1 }),
  }),
  'short-ttl': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      await post(base, `${prefix}/payments`, PAYMENT, { key });
      await sleep(SHORT_TTL_MS + 400);
      const late = await post(base, `${prefix}/payments`, PAYMENT, { key });
      return { late: late.status, rows: await rowsFor(base, variant, key) };
    },
    whenFlawed: (o) => expect(o).toEqual({ late: 201, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ late: 201, rows: 1 }),
  }),
  'memory-keys': probe({
    // A restart of the process: the same database, a new process.
    async run(base, prefix, variant) {
      return withDatabase(async (db) => {
        const key = newKey();
        const first = await databaseProcess(db, flawsOf(base));
        await post(first.url, `${prefix}/orders`, PAYMENT, { key });
        await first.stop();
        const second = await databaseProcess(db, flawsOf(base));
        try {
          const retry = await post(second.url, `${prefix}/orders`, PAYMENT, { key });
          return {
            retry: retry.status,
            replayed: retry.headers.get('idempotent-replayed'),
            rows: await rowsFor(second.url, variant, key),
          };
        } finally {
          await second.stop();
        }
      });
    },
    whenFlawed: (o) => expect(o).toEqual({ retry: 201, replayed: null, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ retry: 201, replayed: 'true', rows: 1 }),
  }),
  'orphaned-reservation': probe({
    // A process dies while it holds a reservation; a second one gets the retry.
    async run(base, prefix, variant) {
      return withDatabase(async (db) => {
        const key = newKey();
        const first = await databaseProcess(db, flawsOf(base));
        const held = post(first.url, `${prefix}/orders`, PAYMENT, {
          key,
          headers: { 'x-demo-processing-ms': '1500' },
        }).catch(() => undefined);
        // In flight once a duplicate is told so.
        await until(
          () => post(first.url, `${prefix}/orders`, PAYMENT, { key }),
          (r) => r.status === 409,
        );
        await first.stop();
        await held;
        const second = await databaseProcess(db, flawsOf(base));
        try {
          const retry = await post(second.url, `${prefix}/orders`, PAYMENT, { key });
          // The dead process's timer still fires here; its commit must find nothing to write.
          await sleep(1_700);
          return { retry: retry.status, rows: await rowsFor(second.url, variant, key) };
        } finally {
          await second.stop();
        }
      });
    },
    whenFlawed: (o) => expect(o).toEqual({ retry: 409, rows: 0 }),
    whenCorrect: (o) => expect(o).toEqual({ retry: 201, rows: 1 }),
  }),
  'store-fails-open': probe({
    async run(base, prefix, variant) {
      // A key store that cannot be reached, as the remote store fails when its database is down.
      const down: KeyStore = {
        get: () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED')),
        reserve: () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED')),
        put: () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED')),
        complete: () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED')),
        release: () => Promise.reject(new StoreUnavailableError('connect ECONNREFUSED')),
      };
      const server = await startDemoServer({ flaws: flawsOf(base), store: () => down });
      try {
        const key = newKey();
        const a = await post(server.url, `${prefix}/payments`, PAYMENT, { key });
        const b = await post(server.url, `${prefix}/payments`, PAYMENT, { key });
        return {
          statuses: [a.status, b.status],
          retryAfter: b.headers.get('retry-after'),
          rows: await rowsFor(server.url, variant, key),
        };
      } finally {
        await server.close();
      }
    },
    whenFlawed: (o) => expect(o).toEqual({ statuses: [201, 201], retryAfter: null, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ statuses: [503, 503], retryAfter: '1', rows: 0 }),
  }),
  'downstream-unkeyed-retry': probe({
    async run(base, prefix) {
      const key = newKey();
      // The provider applies the first call and resets the connection: the demo's answer is lost.
      sink.program(key, { fault: 'reset', times: 1 });
      const res = await post(base, `${prefix}/charges`, PAYMENT, { key });
      const applied = sink.calls(key).filter((c) => c.outcome === 'applied' || c.outcome === 'applied-lost');
      return { status: res.status, applied: applied.length };
    },
    whenFlawed: (o) => expect(o).toEqual({ status: 201, applied: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ status: 201, applied: 1 }),
  }),
  'refund-version-scoped': probe({
    async run(base, prefix, variant) {
      const charge = await newCharge(base, prefix, 1000);
      const key = newKey();
      const first = await postForm(base, `${prefix}/v1/charges/${charge}/refunds`, 'amount=500', { key });
      const retry = await postForm(base, `${prefix}/v1/charges/${charge}/refunds`, 'amount=500', { key });
      return {
        first: first.status,
        retry: retry.status,
        replayed: retry.headers.get('idempotent-replayed'),
        rows: await rowsFor(base, variant, key),
      };
    },
    whenFlawed: (o) => expect(o).toEqual({ first: 200, retry: 200, replayed: null, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ first: 200, retry: 200, replayed: 'true', rows: 1 }),
  }),
  'form-unfingerprinted': probe({
    async run(base, prefix, variant) {
      const customer = await newCustomer(base, prefix);
      const key = newKey();
      const form = (amount: number) => `amount=${amount}&currency=usd&customer=${customer}`;
      await postForm(base, `${prefix}/v1/charges`, form(1000), { key });
      const changed = await postForm(base, `${prefix}/v1/charges`, form(2000), { key });
      return { changed: changed.status, amount: changed.body['amount'], rows: await rowsFor(base, variant, key) };
    },
    whenFlawed: (o) => expect(o).toEqual({ changed: 200, amount: 1000, rows: 1 }),
    whenCorrect: (o) => expect(o).toEqual({ changed: 422, amount: undefined, rows: 1 }),
  }),
  'body-key-ignored': probe({
    async run(base, prefix, variant) {
      const key = newKey();
      const body = { idempotency_key: key, source_id: 'cnon:ok', amount_money: { amount: 100, currency: 'USD' } };
      await post(base, `${prefix}/v2/payments`, body);
      const retry = await post(base, `${prefix}/v2/payments`, body);
      return {
        retry: retry.status,
        replayed: retry.headers.get('idempotent-replayed'),
        rows: await rowsFor(base, variant, key),
      };
    },
    whenFlawed: (o) => expect(o).toEqual({ retry: 200, replayed: null, rows: 2 }),
    whenCorrect: (o) => expect(o).toEqual({ retry: 200, replayed: 'true', rows: 1 }),
  }),
};

describe.each(FLAWS)('flaw %s', (flaw) => {
  const p = PROBES[flaw];
  it('misbehaves on its prefix when switched on', async () => {
    p.whenFlawed(await p.run(flawed.url, `/${flaw}`, flaw));
  });
  it('is correct on the same prefix when switched off', async () => {
    p.whenCorrect(await p.run(clean.url, `/${flaw}`, flaw));
  });
  it('leaves the correct prefix of the flawed server correct', async () => {
    p.whenCorrect(await p.run(flawed.url, '/correct', 'correct'));
  });
});

describe('race flaw with a one-tick window', () => {
  it('lets concurrent duplicates through within a few bursts', async () => {
    const server = await startDemoServer({ flaws: new Set(['race']), raceWindow: 'one-tick' });
    try {
      let worst = 0;
      for (let attempt = 0; attempt < 10 && worst < 2; attempt++) {
        const key = newKey();
        await burst(server.url, '/race/payments', PAYMENT, 20, { key });
        worst = Math.max(worst, await rowsFor(server.url, 'race', key));
      }
      expect(worst).toBeGreaterThan(1);
    } finally {
      await server.close();
    }
  });
});
