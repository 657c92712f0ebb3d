/**
 * HTTP plumbing and routing of the demo target. Every variant (one per flaw, plus `correct`) lives
 * under its own prefix with its own store and ledger, so one flaw's records can never influence
 * another's verdict.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { AddressInfo, Server } from 'node:net';
import { DATABASE_VARIANTS, DemoConfigError, FLAWS, VARIANTS, type DemoVariant, type FlawId } from './flaws.js';
import { createCharge, DownstreamCaller } from './downstream.js';
import { handleIdempotent, type LayerContext, type LayerRequest } from './idempotency.js';
import { MemoryLedger, type Ledger } from './ledger.js';
import { createOrder } from './orders.js';
import { createPayment, createRefund, type Operation } from './payments.js';
import { policyFor } from './policies.js';
import { apiError, json } from './responses.js';
import { CappedKeyStore } from './capped-store.js';
import { handleStateful, isStatefulPath } from './stateful-api.js';
import { MemoryKeyStore, type KeyStore, type StoredResponse } from './store.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Where each answer reports when its request arrived (process.hrtime ns); scenarios name it as `target.arrivalHeader`. */
export const ARRIVAL_HEADER = 'x-demo-arrival-ns';
/** Past this much unwanted body the connection is cut; below it the body is drained so the client can read the 413. */
const DRAIN_LIMIT_BYTES = 16 * BODY_LIMIT_BYTES;
const MAX_PROCESSING_OVERRIDE_MS = 60_000;

export interface DemoOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  flaws: ReadonlySet<FlawId>;
  /** Simulated work between reserving a key and storing the response. Default 25 ms. */
  processingMs?: number;
  /** The race flaw's gap between lookup and insert: milliseconds, or one event-loop turn. Default 15 ms. */
  raceWindow?: number | 'one-tick';
  /** How long keys are kept. Default 24 h. */
  ttlMs?: number;
  /** Artificial latency the idempotency layer adds to every keyed request, in ms. Default 0. */
  keyCostMs?: number;
  /**
   * Key store per variant. Return the same store from several servers' factories to share it (the
   * cross-node scenario); stores from a factory are not closed by `close()`, their owner closes them.
   */
  store?: (variant: DemoVariant) => KeyStore;
  /** Ledger per variant, shared the same way as `store`. */
  ledger?: (variant: DemoVariant) => Ledger;
  /**
   * The demo database (database.ts), for DATABASE_VARIANTS: their keys and records must outlive
   * this process, or be cut off by a store outage, so they come from here instead of `store`/`ledger`.
   */
  database?: { store(variant: DemoVariant): KeyStore; ledger(variant: DemoVariant): Ledger };
  /** The provider `POST /<variant>/charges` calls (in audits, the sink observer's URL). */
  downstreamUrl?: string;
}

export interface DemoServer {
  /** e.g. `http://127.0.0.1:40123`, no trailing slash. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export const DEMO_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 0,
  processingMs: 25,
  raceWindow: 15,
  ttlMs: 24 * 60 * 60 * 1000,
});

interface VariantState {
  readonly layer: LayerContext;
  readonly ledger: Ledger;
}

type Route =
  | { readonly kind: 'health' }
  | { readonly kind: 'operation'; readonly variant: DemoVariant; readonly op: Operation<unknown> }
  | { readonly kind: 'ledger'; readonly variant: DemoVariant }
  | { readonly kind: 'payment'; readonly variant: DemoVariant; readonly id: string }
  /** `/v1/…` and `/v2/…`: the stateful API (stateful-api.ts) routes its own paths. */
  | { readonly kind: 'stateful'; readonly variant: DemoVariant };

type Resolved = { readonly route: Route } | { readonly error: StoredResponse };

/** The demo answers HTTP/1.1 and HTTP/2 (compatibility API) with the same code. */
export type DemoRequest = IncomingMessage | Http2ServerRequest;
export type DemoResponse = ServerResponse | Http2ServerResponse;

export interface DemoApp {
  /** The request listener, for node:http and node:http2 servers alike. */
  listener: (req: DemoRequest, res: DemoResponse) => void;
  /** Closes the stores the app owns (not those from the factories). */
  close(): Promise<void>;
}

function validateOptions(opts: DemoOptions): void {
  const { port, processingMs, raceWindow, ttlMs } = opts;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new DemoConfigError(`port must be an integer 0-65535, got ${port}`);
  }
  if (processingMs !== undefined && !(Number.isFinite(processingMs) && processingMs >= 0)) {
    throw new DemoConfigError(`processingMs must be a non-negative number, got ${processingMs}`);
  }
  if (raceWindow !== undefined && raceWindow !== 'one-tick' && !(Number.isFinite(raceWindow) && raceWindow >= 0)) {
    throw new DemoConfigError(`raceWindow must be a non-negative number or 'one-tick', got ${String(raceWindow)}`);
  }
  if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new DemoConfigError(`ttlMs must be a positive number, got ${ttlMs}`);
  }
}

/**
 * Binds `server` to the demo's host and port (0: any free one); a listen error such as a taken
 * port rejects. Resolves with the bound port and the origin for `scheme`.
 */
export async function listenDemo(
  server: Server,
  opts: Pick<DemoOptions, 'host' | 'port'>,
  scheme: 'http' | 'https',
): Promise<{ port: number; url: string }> {
  const host = opts.host ?? DEMO_DEFAULTS.host;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEMO_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return { port, url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}` };
}

export async function startDemoServer(opts: DemoOptions): Promise<DemoServer> {
  const app = createDemoApp(opts);
  const server = createServer(app.listener);
  const { port, url } = await listenDemo(server, opts, 'http');

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolveClose, reject) => {
        server.close((err) => (err ? reject(err) : resolveClose()));
        // Idle keep-alive sockets would otherwise hold close() open for seconds.
        server.closeAllConnections();
      }).then(() => app.close());
      return closing;
    },
  };
}

/** The demo's request handling without a server, so HTTP/1.1 and HTTP/2 servers share it. */
export function createDemoApp(opts: DemoOptions): DemoApp {
  validateOptions(opts);
  const raceWindow = opts.raceWindow ?? DEMO_DEFAULTS.raceWindow;
  const ownedStores: MemoryKeyStore[] = [];

  const variants = new Map<DemoVariant, VariantState>();
  const own = (): KeyStore => {
    const owned = new MemoryKeyStore();
    ownedStores.push(owned);
    return owned;
  };
  for (const variant of VARIANTS) {
    const policy = policyFor(variant, opts.flaws, { raceWindow });
    const database = DATABASE_VARIANTS.includes(variant) ? opts.database : undefined;
    // Keys in the process's own memory die with it, whatever store the server was given.
    let store: KeyStore =
      policy.keyStorage === 'process'
        ? own()
        : database
          ? database.store(variant)
          : opts.store
            ? opts.store(variant)
            : own();
    const ledger = database ? database.ledger(variant) : opts.ledger ? opts.ledger(variant) : new MemoryLedger();
    if (policy.storeCapacity !== undefined) store = new CappedKeyStore(store, policy.storeCapacity);
    variants.set(variant, {
      ledger,
      layer: {
        policy,
        store,
        ledger,
        prefix: `/${variant}`,
        ttlMs: opts.ttlMs ?? DEMO_DEFAULTS.ttlMs,
        processingMs: opts.processingMs ?? DEMO_DEFAULTS.processingMs,
        ...(opts.keyCostMs === undefined ? {} : { keyCostMs: opts.keyCostMs }),
        ...(opts.downstreamUrl === undefined
          ? {}
          : {
              downstream: new DownstreamCaller({
                url: opts.downstreamUrl,
                retryWithKey: policy.downstreamRetry === 'keyed',
              }),
            }),
      },
    });
  }
  const enabled = FLAWS.filter((f) => opts.flaws.has(f));

  const handle = async (req: DemoRequest, arrival: { ns: bigint }, gone: AbortSignal): Promise<StoredResponse> => {
    const body = await readBody(req);
    // A request has arrived when it is complete: with last-byte or single-packet releases the
    // headers come early and only the final byte is synchronised.
    arrival.ns = process.hrtime.bigint();
    if (body === 'too-large')
      return apiError(413, 'payload_too_large', `request bodies are capped at ${BODY_LIMIT_BYTES} bytes`);
    const resolved = resolve(req.method ?? 'GET', req.url ?? '/');
    if ('error' in resolved) return resolved.error;
    const { route } = resolved;
    if (route.kind === 'health') return json(200, { ok: true, flaws: enabled, variants: VARIANTS });
    const state = variants.get(route.variant);
    if (!state) return apiError(404, 'not_found');
    switch (route.kind) {
      case 'ledger': {
        const key = new URL(req.url ?? '/', 'http://demo').searchParams.get('key');
        const rows = await state.ledger.rows(key ?? undefined);
        return json(200, { key, count: rows.length, rows });
      }
      case 'payment': {
        const payment = await state.ledger.resource(route.id);
        return payment && route.id.startsWith('pay_') ? json(200, payment) : apiError(404, 'not_found');
      }
      case 'operation':
        return handleIdempotent(state.layer, route.op, { ...layerRequest(req, route.variant, body), clientGone: gone });
      case 'stateful': {
        const { key, ...request } = layerRequest(req, route.variant, body);
        return handleStateful(state.layer, { ...request, headerKey: key, clientGone: gone });
      }
    }
  };

  const listener = (req: DemoRequest, res: DemoResponse): void => {
    const arrival = { ns: process.hrtime.bigint() };
    // A client that hung up must not take the server down with a write error.
    res.on('error', () => undefined);
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    handle(req, arrival, gone.signal).then(
      (response) => send(res, response, arrival.ns),
      (err: unknown) =>
        send(res, apiError(500, 'internal_error', err instanceof Error ? err.message : String(err)), arrival.ns),
    );
  };
  return {
    listener,
    close: async () => {
      await Promise.all(ownedStores.map((s) => s.close()));
    },
  };
}

const OPERATIONS: Readonly<Record<string, Operation<unknown>>> = {
  payments: createPayment,
  refunds: createRefund,
  charges: createCharge,
  orders: createOrder,
};

function isVariant(name: string): name is DemoVariant {
  return (VARIANTS as readonly string[]).includes(name);
}

function methodNotAllowed(allow: string): Resolved {
  return { error: apiError(405, 'method_not_allowed', `allowed: ${allow}`, { allow }) };
}

function resolve(method: string, url: string): Resolved {
  const pathname = url.split('?', 1)[0] ?? '/';
  const segments = pathname.split('/').slice(1);
  const notFound: Resolved = { error: apiError(404, 'not_found', `no route for ${pathname}`) };

  if (segments.length === 1 && segments[0] === 'health') {
    return method === 'GET' ? { route: { kind: 'health' } } : methodNotAllowed('GET');
  }
  const [variant, resource, id, ...rest] = segments;
  if (variant !== undefined && isVariant(variant) && isStatefulPath(resource))
    return { route: { kind: 'stateful', variant } };
  if (variant === undefined || !isVariant(variant) || resource === undefined || rest.length > 0) return notFound;

  if (id === undefined) {
    if (resource === 'ledger')
      return method === 'GET' ? { route: { kind: 'ledger', variant } } : methodNotAllowed('GET');
    const op = OPERATIONS[resource];
    if (!op) return notFound;
    return method === 'POST' ? { route: { kind: 'operation', variant, op } } : methodNotAllowed('POST');
  }
  if (resource === 'payments' && id !== '') {
    return method === 'GET'
      ? { route: { kind: 'payment', variant, id: decodeURIComponent(id) } }
      : methodNotAllowed('GET');
  }
  return notFound;
}

function header(req: DemoRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function layerRequest(req: DemoRequest, variant: DemoVariant, raw: Buffer): LayerRequest {
  const fail = header(req, 'x-demo-fail');
  return {
    method: req.method ?? 'POST',
    target: (req.url ?? '/').slice(variant.length + 1),
    principal: header(req, 'authorization') ?? 'anonymous',
    key: header(req, 'idempotency-key'),
    raw,
    processingMs: processingOverride(header(req, 'x-demo-processing-ms')),
    fail: fail === '1' || fail === 'true',
  };
}

/** `X-Demo-Processing-Ms` lets a test hold one request in flight; nonsense values are ignored. */
function processingOverride(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_PROCESSING_OVERRIDE_MS ? ms : undefined;
}

function readBody(req: DemoRequest): Promise<Buffer | 'too-large'> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.on('end', () => {
      ended = true;
      resolveBody(size > BODY_LIMIT_BYTES ? 'too-large' : Buffer.concat(chunks));
    });
    req.on('error', reject);
    // An aborted upload never reaches the handler: no side effect from half a request.
    req.on('close', () => {
      if (!ended) reject(new Error('request aborted before its body was complete'));
    });
  });
}

function send(res: DemoResponse, response: StoredResponse, arrival: bigint): void {
  const destroyed = 'stream' in res ? res.stream.destroyed : res.destroyed;
  if (destroyed || res.headersSent) return;
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': String(body.length),
    [ARRIVAL_HEADER]: arrival.toString(),
  });
  res.end(body);
}
