/**
 * The demo database: the key records and the ledger of the demo variants whose flaws are about
 * what survives a crash or an outage (DATABASE_VARIANTS), kept in a process of its own so they
 * outlive the demo target's process, as Redis or PostgreSQL outlive an application. `idem-audit
 * demo` runs it beside the target; the target reaches it over HTTP (RemoteKeyStore, RemoteLedger),
 * the key store through a proxy the store-outage hooks can switch off.
 *
 * Like PostgreSQL it knows which client is alive: a client holds a session (one long request)
 * while its process runs, and a reservation records its owner's session. A reservation whose owner
 * died can be taken over by a retry that asks to recover it; a commit (the ledger rows and the
 * stored response, applied together, like a transaction) and a release only apply for the owner,
 * so a request that lost its reservation can never write under it. Records live in memory: the
 * database itself is never crashed by the demo.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryLedger, type NewLedgerEntry } from './ledger.js';
import type { KeyRecord, Reservation, Scope, StoredResponse } from './store.js';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

type OwnedRecord = KeyRecord & { readonly owner: string | null };

/** What the protocol carries: one request per store or ledger call. */
export type KeyCall =
  | { op: 'get'; ns: string; scope: Scope }
  | { op: 'reserve'; ns: string; scope: Scope; reservation: Reservation; owner: string }
  | { op: 'put'; ns: string; scope: Scope; record: KeyRecord }
  | { op: 'complete'; ns: string; scope: Scope; response: StoredResponse }
  | { op: 'release'; ns: string; scope: Scope; owner: string | null }
  | {
      op: 'commit';
      ns: string;
      scope: Scope;
      owner: string | null;
      rows: NewLedgerEntry[];
      response: StoredResponse;
    };

export type LedgerCall =
  | { op: 'record'; ns: string; entry: NewLedgerEntry }
  | { op: 'rows'; ns: string; key: string | null }
  | { op: 'resource'; ns: string; id: string };

export interface DemoDatabase {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startDemoDatabase(
  o: { host?: string; port?: number; now?: () => number } = {},
): Promise<DemoDatabase> {
  const now = o.now ?? Date.now;
  const records = new Map<string, OwnedRecord>();
  const ledgers = new Map<string, MemoryLedger>();
  const sessions = new Set<string>();
  const ledger = (ns: string): MemoryLedger => {
    let l = ledgers.get(ns);
    if (!l) {
      l = new MemoryLedger();
      ledgers.set(ns, l);
    }
    return l;
  };
  const live = (id: string): OwnedRecord | undefined => {
    const r = records.get(id);
    if (r && r.expiresAt <= now()) {
      records.delete(id);
      return undefined;
    }
    return r;
  };

  const keys = async (c: KeyCall): Promise<unknown> => {
    const id = JSON.stringify([c.ns, c.scope.index, c.scope.principal, c.scope.route, c.scope.key]);
    switch (c.op) {
      case 'get':
        return { record: strip(live(id)) };
      case 'reserve': {
        const existing = live(id);
        const r = c.reservation;
        const abandoned =
          existing?.state === 'in-flight' &&
          r.recoverAbandoned === true &&
          existing.owner !== null &&
          !sessions.has(existing.owner) &&
          (existing.fingerprint === null || existing.fingerprint === r.fingerprint);
        if (existing && !abandoned) return { reserved: false, existing: strip(existing) };
        const createdAt = now();
        records.set(id, {
          state: 'in-flight',
          fingerprint: r.fingerprint,
          route: r.route,
          createdAt,
          expiresAt: createdAt + r.ttlMs,
          owner: c.owner,
        });
        return { reserved: true, recovered: abandoned };
      }
      case 'put':
        records.set(id, { ...c.record, owner: null });
        return {};
      case 'complete': {
        const existing = live(id);
        if (existing) records.set(id, { ...existing, state: 'done', response: c.response });
        return {};
      }
      case 'release': {
        const existing = live(id);
        if (existing && (existing.owner === null || existing.owner === c.owner)) records.delete(id);
        return {};
      }
      case 'commit': {
        const existing = live(id);
        // Only the owner of the reservation commits: a request whose reservation was taken over
        // (its owner was presumed dead) must not write a second time.
        if (!existing || existing.state !== 'in-flight' || existing.owner !== c.owner)
          return { committed: false, reason: existing ? 'the reservation belongs to someone else' : 'no reservation' };
        const rows = [];
        for (const entry of c.rows) rows.push(await ledger(c.ns).record(entry));
        records.set(id, { ...existing, state: 'done', response: c.response });
        return { committed: true, rows };
      }
    }
  };

  const ledgerCall = async (c: LedgerCall): Promise<unknown> => {
    switch (c.op) {
      case 'record':
        return { row: await ledger(c.ns).record(c.entry) };
      case 'rows':
        return { rows: await ledger(c.ns).rows(c.key ?? undefined) };
      case 'resource':
        return { resource: (await ledger(c.ns).resource(c.id)) ?? null };
    }
  };

  const server: Server = createServer((req, res) => {
    res.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://db');
    if (req.method === 'GET' && url.pathname === '/session') {
      holdSession(url.searchParams.get('id'), req, res, sessions);
      return;
    }
    readJson(req).then(
      async (body) => {
        if (url.pathname === '/keys') return reply(res, 200, await keys(body as KeyCall));
        if (url.pathname === '/ledger') return reply(res, 200, await ledgerCall(body as LedgerCall));
        return reply(res, 404, { error: 'not found' });
      },
      (err: unknown) => reply(res, 400, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A session lives as long as its request: the answer's headers go out at once, the body never ends. */
function holdSession(id: string | null, req: IncomingMessage, res: ServerResponse, sessions: Set<string>): void {
  if (id === null || !/^[\w-]{8,64}$/.test(id)) {
    reply(res, 400, { error: 'a session needs ?id=<8-64 word characters>' });
    return;
  }
  sessions.add(id);
  req.socket.setKeepAlive(true, 1_000);
  req.socket.setTimeout(0);
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.write('live\n');
  res.on('close', () => sessions.delete(id));
}

function strip(r: OwnedRecord | undefined): KeyRecord | null {
  if (!r) return null;
  const { owner: _owner, ...record } = r;
  return record;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}
