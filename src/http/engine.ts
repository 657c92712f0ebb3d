/**
 * The HTTP engine: every request idem-audit sends goes through here, so this is where the
 * global bounds live (request budget, per-request deadline, body cap, rate, interruption) and
 * where every exchange is recorded, redacted, and handed to the event stream.
 */
import { Client, Pool, type Dispatcher } from 'undici';
import { InterruptedError, RequestBudgetError } from '../errors/errors.js';
import type { HostPolicy } from './host-policy.js';
import { capture, type CaptureResult } from './capture.js';
import { Lane } from './lane.js';
import type { Exchange } from './exchange.js';
import { sendWithClientFault, type ClientFault, type FaultOutcome } from './faults.js';
import type { Redactor } from './redact.js';
import type { RequestSpec } from './request-spec.js';
import { connectRaw } from './sync/connect.js';
import { lastByteBurst } from './sync/last-byte.js';
import { chooseSyncMode, probeAlpnH2, type ConcreteSyncMode, type SyncMode } from './sync/mode.js';
import { DEFAULT_QUIET_MS, MAX_QUIET_MS, quietPeriod } from './sync/quiet.js';
import { singlePacketBurst } from './sync/single-packet.js';
import { abortedError } from './sync/exchange-io.js';
import { releaseWaves, waitUntil } from './sync/staggered.js';
import type { SyncBurstOutcome } from './sync/types.js';
import { TrafficGate } from './traffic-gate.js';
import { classifyTransportError } from './transport-errors.js';

/**
 * Connector options for h2c with prior knowledge. Pool builds its own connector and drops a
 * top-level `useH2c` (undici 7.30); connect options reach the connector, though its type does
 * not list the field.
 */
const H2C_CONNECT = { useH2c: true } as unknown as NonNullable<Pool.Options['connect']>;

export interface EngineOptions {
  /** Which hosts traffic may go to; asked before every request, so no path can go around it. */
  hostPolicy: HostPolicy;
  timeoutMs: number;
  bodyCap: number;
  maxRequests: number;
  /** Requests per second for `send` (bursts are never throttled: that would defeat them). */
  rate: number | undefined;
  redactor: Redactor;
  /** Milliseconds on the run's monotonic clock. */
  now: () => number;
  onExchange: (ex: Exchange) => void;
  /** Aborts requests in flight. */
  signal?: AbortSignal;
  /**
   * Stops new requests only (interruption, deadline): requests already in flight may still
   * answer until `signal` aborts them. Without it, `signal` does both.
   */
  stopSignal?: AbortSignal;
  /**
   * Cleartext targets speak HTTP/2 with prior knowledge (`target.http2`): the pools open h2c
   * connections too, so plain sends and observer queries reach an h2c-only server.
   */
  h2c?: boolean;
  /**
   * Response header in which the target reports when each request arrived, as integer
   * nanoseconds on its own clock (`target.arrivalHeader`); only spreads within a burst are used.
   */
  arrivalHeader?: string;
  /** Id of the first exchange it records: an engine that continues a run's record (teardown) goes on numbering. */
  firstExchangeId?: number;
}

/** An answer as the target sent it, before redaction: what setup steps capture values from. */
export interface RawAnswer {
  status: number;
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  /** At most bodyCap bytes, decoded as UTF-8. */
  body: string;
  truncated: boolean;
}

const MAX_CACHED_TARGETS = 1_024;

interface Target {
  origin: string;
  /** Path and query, as the request line carries them. */
  path: string;
}

export interface ExchangeContext {
  attack: string;
  endpoint: string;
  /**
   * The parallel lane sending it: its identity at the traffic gate, its signals, its request
   * count. Absent: the engine's own lane (a caller that sends from one place, e.g. replay).
   */
  lane?: Lane;
}

export interface BurstOptions {
  /** How the requests are released together. Default `auto`. */
  sync?: SyncMode;
  /**
   * Pacing of the HTTP/1.1 modes (sync/quiet.ts), in ms: last-byte and barrier bursts begin no
   * sooner than this after the previous exchange ended, and release this long after their
   * prefixes are flushed (last-byte) or their connections are open (barrier). Default 20; 0 turns
   * pacing off.
   */
  quietMs?: number;
  /**
   * Release offset of each request in ms after the burst's release (sync/staggered.ts), one per
   * request: `[0, 5]` sends the second request's final byte 5 ms after the first's. Absent or all
   * 0: released together. last-byte and single-packet write each final byte or frame at its mark;
   * none and barrier hand each request to undici at its mark, which writes it a little later (the
   * first one too). Whatever the mode, each exchange records when it was really sent.
   */
  offsetsMs?: readonly number[];
  /** The scenario declares the cleartext target speaks HTTP/2 (h2c, prior knowledge). */
  h2c?: boolean;
}

export interface BurstResult {
  id: number;
  exchanges: Exchange[];
  /** The synchronisation actually used (`auto` resolved). */
  sync: ConcreteSyncMode;
  /** Remarks about the release (e.g. final frames larger than one packet). */
  notes: string[];
  /** Spread of the moments each request's last byte left the client (ms). */
  releaseSpreadMs: number | undefined;
  /** Spread of the target-reported arrival times (ms), when the target reports them. */
  arrivalSpreadMs: number | undefined;
  /** Measured quiet period before the release (ms), for the paced modes. */
  quietMs?: number;
}

export class HttpEngine {
  readonly #o: EngineOptions;
  /** Lower-cased: captured response headers are keyed in lower case. */
  readonly #arrivalHeader: string | undefined;
  readonly #pools = new Map<string, Pool>();
  #nextId = 1;
  #nextBurst = 1;
  #sent = 0;
  #nextSlot = 0;
  /** When the last exchange of any lane ended, on the run's clock (pacing of the next burst). */
  #lastDone = Number.NEGATIVE_INFINITY;
  /** Lanes share the target: timing-dependent sends have it to themselves (traffic-gate.ts). */
  readonly #gate = new TrafficGate();
  readonly #ownLane: Lane;
  readonly #alpnH2 = new Map<string, Promise<boolean>>();
  readonly #targets = new Map<string, Target>();
  readonly #allowedUrls = new Set<string>();

  constructor(opts: EngineOptions) {
    this.#o = opts;
    this.#arrivalHeader = opts.arrivalHeader?.toLowerCase();
    this.#ownLane = Lane.sharing(0, opts.stopSignal ?? opts.signal, opts.signal);
    this.#nextId = opts.firstExchangeId ?? 1;
  }

  /** The id the next recorded exchange gets. */
  get nextExchangeId(): number {
    return this.#nextId;
  }

  /** The run's redactor, for text about exchanges that is not itself an exchange (findings). */
  get redactor(): Redactor {
    return this.#o.redactor;
  }

  /** At most bodyCap characters; a secret the cap cuts in two is redacted as well (`cut`). */
  #recordedBody(body: string): string {
    const cap = this.#o.bodyCap;
    return body.length > cap ? this.#o.redactor.text(body.slice(0, cap), true) : this.#o.redactor.body(body);
  }

  /** Requests sent so far (counted when they are dispatched). */
  get requestsSent(): number {
    return this.#sent;
  }

  async send(spec: RequestSpec, ctx: ExchangeContext): Promise<Exchange> {
    return (await this.#sendOne(spec, ctx)).exchange;
  }

  /** One request on the lane's shared slot: budgeted, paced, recorded; the raw answer too. */
  async #sendOne(spec: RequestSpec, ctx: ExchangeContext): Promise<{ exchange: Exchange; raw: CaptureResult }> {
    const lane = ctx.lane ?? this.#ownLane;
    // Uncontended, the slot is taken without an await: each one costs a turn of the microtask queue.
    const release = this.#gate.tryShared(lane) ?? (await this.#gate.shared(lane, lane.stop));
    try {
      this.#reserve(1, [spec], lane);
      if (this.#o.rate !== undefined) await this.#throttle(lane);
      const target = this.#target(spec.url);
      const queued = this.#o.now();
      const raw = await this.#capture(this.#pool(target.origin), spec, target, lane);
      return { exchange: this.#record(spec, ctx, undefined, queued, raw), raw };
    } finally {
      release();
    }
  }

  /**
   * Runs `work` with the target to itself: it starts once no other lane's request is in flight,
   * and other lanes' requests wait until it is over (a lane's own requests pass). For races that
   * span several sends; bursts and faulted sends take the gate by themselves.
   */
  async exclusive<T>(work: () => Promise<T>, lane: Lane = this.#ownLane): Promise<T> {
    const release = await this.#gate.exclusive(lane, lane.stop);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * `send`, also handing back the answer as the target sent it: a setup step captures ids and
   * tokens from it, which the recorded exchange may show redacted. Recorded and bounded the same.
   */
  async sendForCapture(
    spec: RequestSpec,
    ctx: ExchangeContext,
  ): Promise<{ exchange: Exchange; answer: RawAnswer | undefined }> {
    const { exchange, raw: r } = await this.#sendOne(spec, ctx);
    const answer =
      r.status !== undefined && !r.error
        ? { status: r.status, headers: r.headers, body: r.body.toString('utf8'), truncated: r.truncated }
        : undefined;
    return { exchange, answer };
  }

  /**
   * Sends one request with a client-side fault (faults.ts) on its own raw connection. It counts
   * against the budget and is recorded like any other exchange; the fault's outcome says whether
   * the complete request was verifiably written before the connection was cut.
   */
  async sendWithFault(
    spec: RequestSpec,
    ctx: ExchangeContext,
    fault: ClientFault,
  ): Promise<{ exchange: Exchange; fault: FaultOutcome }> {
    const lane = ctx.lane ?? this.#ownLane;
    // Whether the target acted on a torn request is a race against its own timing: no other lane's traffic.
    return this.exclusive(async () => {
      this.#reserve(1, [spec], lane);
      await this.#throttle(lane);
      const queued = this.#o.now();
      const r = await sendWithClientFault(spec, fault, {
        bodyCap: this.#o.bodyCap,
        timeoutMs: this.#o.timeoutMs,
        now: this.#o.now,
        signal: lane.inflight,
      });
      return { exchange: this.#record(spec, ctx, undefined, queued, r.capture), fault: r.fault };
    }, lane);
  }

  /**
   * Releases the requests together with the chosen synchronisation. Every mode records each
   * exchange with `timings.sent` = the moment its final byte was written.
   */
  burst(specs: readonly RequestSpec[], ctx: ExchangeContext, options: BurstOptions = {}): Promise<BurstResult> {
    const lane = ctx.lane ?? this.#ownLane;
    // The burst owns the target from before its quiet period until every answer is in.
    return this.exclusive(() => this.#burst(specs, ctx, options, lane), lane);
  }

  async #burst(
    specs: readonly RequestSpec[],
    ctx: ExchangeContext,
    options: BurstOptions,
    lane: Lane,
  ): Promise<BurstResult> {
    this.#reserve(specs.length, specs, lane);
    const burstId = this.#nextBurst++;
    const first = specs[0];
    const sync = first
      ? await chooseSyncMode(options.sync ?? 'auto', first.url, {
          h2c: options.h2c ?? false,
          alpnH2: () => this.#probeH2(first.url, first.timeoutMs ?? this.#o.timeoutMs),
        })
      : 'none';
    const asked = options.quietMs;
    const quietMs =
      asked !== undefined && Number.isFinite(asked) ? Math.min(Math.max(asked, 0), MAX_QUIET_MS) : DEFAULT_QUIET_MS;
    if (sync === 'barrier' || sync === 'last-byte') await this.#quietSinceLastExchange(quietMs, lane);
    let exchanges: Exchange[];
    let notes: string[] = [];
    let quiet: number | undefined;
    switch (sync) {
      case 'none':
        exchanges = await this.#inWaves(specs, ctx, burstId, options.offsetsMs, lane, (s) => {
          const target = this.#target(s.url);
          return this.#dispatch(this.#pool(target.origin), s, ctx, burstId, target, lane);
        });
        break;
      case 'barrier':
        ({ exchanges, quietMs: quiet } = await this.#barrier(specs, ctx, burstId, quietMs, options.offsetsMs, lane));
        break;
      case 'last-byte':
      case 'single-packet': {
        const queued = this.#o.now();
        const transport = {
          bodyCap: this.#o.bodyCap,
          timeoutMs: this.#o.timeoutMs,
          now: this.#o.now,
          signal: lane.inflight,
          offsetsMs: options.offsetsMs,
          stop: lane.stop,
        };
        const out: SyncBurstOutcome =
          sync === 'last-byte'
            ? await lastByteBurst(specs, { ...transport, quietMs })
            : await singlePacketBurst(specs, transport);
        exchanges = specs.map((spec, i) => {
          const r = out.results[i];
          return r
            ? this.#record(spec, ctx, burstId, queued, r)
            : this.#failed(spec, ctx, burstId, classifyTransportError(new Error('no result')));
        });
        notes = out.notes;
        quiet = out.quietMs;
        break;
      }
    }
    const result: BurstResult = { id: burstId, exchanges, sync, notes, ...burstSpreads(exchanges) };
    if (quiet !== undefined) result.quietMs = quiet;
    return result;
  }

  /**
   * The paced modes start once the target has had `quietMs` without traffic of ours (typically the
   * previous round's observer query, or another lane's last request before the burst took the
   * gate): a burst opened while the target still works on that answer meets a busy target at the
   * release. Bounded by `quietMs` and by interruption.
   */
  async #quietSinceLastExchange(quietMs: number, lane: Lane): Promise<void> {
    const wait = Math.min(quietMs, this.#lastDone + quietMs - this.#o.now());
    if (wait <= 0) return;
    await quietPeriod(wait, [lane.stop, lane.inflight]);
    if (this.#stopped()) throw new InterruptedError();
  }

  #probeH2(url: string, timeoutMs: number): Promise<boolean> {
    const origin = new URL(url).origin;
    let probe = this.#alpnH2.get(origin);
    if (!probe) {
      probe = probeAlpnH2(url, timeoutMs);
      this.#alpnH2.set(origin, probe);
    }
    return probe;
  }

  /**
   * Barrier burst: one fresh connection per request, all connected first, then every request
   * dispatched in the same tick. Separate connections matter: a pipelined connection would
   * serialise the requests and hide the race we are looking for.
   */
  async #barrier(
    specs: readonly RequestSpec[],
    ctx: ExchangeContext,
    burstId: number,
    quietMs: number,
    offsetsMs: readonly number[] | undefined,
    lane: Lane,
  ): Promise<{ exchanges: Exchange[]; quietMs: number }> {
    const sockets = await Promise.all(
      specs.map((s) =>
        connectRaw(s.url, { alpn: ['http/1.1'], noDelay: true, timeoutMs: s.timeoutMs ?? this.#o.timeoutMs }),
      ),
    );
    const clients: Client[] = [];
    try {
      // The target accepts the connections while we wait, rather than while the requests arrive.
      const quietFrom = this.#o.now();
      await quietPeriod(quietMs, [lane.stop, lane.inflight]);
      // Nothing has been sent yet: a run stopped meanwhile sends none of it.
      if (this.#stopped()) throw new InterruptedError();
      const measured = this.#o.now() - quietFrom;
      const exchanges = await this.#inWaves(specs, ctx, burstId, offsetsMs, lane, (spec, i) => {
        const pre = sockets[i];
        if (!pre || pre.error) {
          return Promise.resolve(
            this.#failed(spec, ctx, burstId, pre?.error ?? classifyTransportError(new Error('no socket'))),
          );
        }
        const socket = pre.socket;
        const client = new Client(this.#target(spec.url).origin, {
          pipelining: 1,
          // undici hangs when the connector answers synchronously; one tick later it is fine.
          connect: (_opts, cb) => {
            process.nextTick(() => cb(null, socket));
          },
          headersTimeout: spec.timeoutMs ?? this.#o.timeoutMs,
          bodyTimeout: spec.timeoutMs ?? this.#o.timeoutMs,
        });
        clients.push(client);
        return this.#dispatch(client, spec, ctx, burstId, this.#target(spec.url), lane);
      });
      return { exchanges, quietMs: measured };
    } finally {
      await Promise.all(clients.map((c) => c.destroy().catch(() => undefined)));
      for (const s of sockets) if (s && !s.error) s.socket.destroy();
    }
  }

  /**
   * Dispatches the requests wave by wave at their release offsets (sync/staggered.ts): each wave in
   * one synchronous loop, as a plain burst dispatches all of them. A stop during a wait leaves the
   * later waves unsent, recorded as aborted.
   */
  async #inWaves(
    specs: readonly RequestSpec[],
    ctx: ExchangeContext,
    burstId: number,
    offsetsMs: readonly number[] | undefined,
    lane: Lane,
    dispatch: (spec: RequestSpec, index: number) => Promise<Exchange>,
  ): Promise<Exchange[]> {
    const pending = new Array<Promise<Exchange>>(specs.length);
    const start = this.#o.now();
    let go = true;
    for (const wave of releaseWaves(specs.length, offsetsMs)) {
      if (go && wave.offsetMs > 0) go = await waitUntil(start + wave.offsetMs, this.#o.now, [lane.stop, lane.inflight]);
      for (const i of wave.indexes) {
        const spec = specs[i] as RequestSpec;
        pending[i] = go ? dispatch(spec, i) : Promise.resolve(this.#failed(spec, ctx, burstId, abortedError()));
      }
    }
    return Promise.all(pending);
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }

  #stopped(): boolean {
    return (this.#o.stopSignal?.aborted ?? false) || (this.#o.signal?.aborted ?? false);
  }

  /** Synchronous from the check to the count, so lanes can never overdraw the budget between them. */
  #reserve(n: number, specs: readonly RequestSpec[], lane: Lane): void {
    if (this.#stopped() || (lane.stop?.aborted ?? false)) throw new InterruptedError();
    if (!specs.every((s) => this.#allowedUrl(s.url))) this.#o.hostPolicy.assertAllowed(specs.map((s) => s.url));
    if (this.#sent + n > this.#o.maxRequests) throw new RequestBudgetError(this.#o.maxRequests);
    this.#sent += n;
    lane.requests += n;
  }

  /** One schedule of slots for every lane: the rate bounds the run, not each lane. */
  async #throttle(lane: Lane): Promise<void> {
    const rate = this.#o.rate;
    if (rate === undefined) return;
    const now = this.#o.now();
    const slot = Math.max(now, this.#nextSlot);
    this.#nextSlot = slot + 1000 / rate;
    if (slot > now) await waitUnlessStopped(slot - now, lane.stop);
    if (this.#stopped()) throw new InterruptedError();
  }

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: 64,
        pipelining: 1,
        ...(this.#o.h2c === true && origin.startsWith('http:') ? { allowH2: true, connect: H2C_CONNECT } : {}),
        headersTimeout: this.#o.timeoutMs,
        bodyTimeout: this.#o.timeoutMs,
        connectTimeout: Math.min(this.#o.timeoutMs, 10_000),
        keepAliveTimeout: 4_000,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** The host policy's verdict, remembered per URL: asking it parses the URL every time. */
  #allowedUrl(url: string): boolean {
    if (this.#allowedUrls.has(url)) return true;
    if (!this.#o.hostPolicy.allows(url)) return false;
    if (this.#allowedUrls.size >= MAX_CACHED_TARGETS) this.#allowedUrls.clear();
    this.#allowedUrls.add(url);
    return true;
  }

  /** Origin and path of a URL; a run sends to a few URLs many times, so they are parsed once. */
  #target(url: string): Target {
    let t = this.#targets.get(url);
    if (!t) {
      const u = new URL(url);
      t = { origin: u.origin, path: `${u.pathname}${u.search}` };
      // Bounded: URLs with a fresh key or id in the path or query never repeat.
      if (this.#targets.size >= MAX_CACHED_TARGETS) this.#targets.clear();
      this.#targets.set(url, t);
    }
    return t;
  }

  async #dispatch(
    dispatcher: Dispatcher,
    spec: RequestSpec,
    ctx: ExchangeContext,
    burst: number | undefined,
    target: Target,
    lane: Lane,
  ): Promise<Exchange> {
    const queued = this.#o.now();
    const result = await this.#capture(dispatcher, spec, target, lane);
    return this.#record(spec, ctx, burst, queued, result);
  }

  #capture(dispatcher: Dispatcher, spec: RequestSpec, target: Target, lane: Lane): Promise<CaptureResult> {
    return capture(
      dispatcher,
      {
        origin: target.origin,
        path: target.path,
        method: spec.method,
        // undici reads the map without changing it: no copy needed.
        headers: spec.headers,
        body: spec.body ?? null,
      },
      {
        bodyCap: this.#o.bodyCap,
        timeoutMs: spec.timeoutMs ?? this.#o.timeoutMs,
        now: this.#o.now,
        signal: lane.inflight,
      },
    );
  }

  #failed(
    spec: RequestSpec,
    ctx: ExchangeContext,
    burst: number,
    error: ReturnType<typeof classifyTransportError>,
  ): Exchange {
    const t = this.#o.now();
    return this.#record(spec, ctx, burst, t, {
      headers: {},
      body: Buffer.alloc(0),
      bytes: 0,
      truncated: false,
      error,
      doneAt: t,
    });
  }

  #record(
    spec: RequestSpec,
    ctx: ExchangeContext,
    burst: number | undefined,
    queued: number,
    r: CaptureResult,
  ): Exchange {
    const red = this.#o.redactor;
    const ex: Exchange = {
      id: this.#nextId++,
      label: spec.label,
      attack: ctx.attack,
      endpoint: ctx.endpoint,
      key: spec.key,
      principal: spec.principal,
      request: {
        method: spec.method,
        url: red.text(spec.url),
        headers: red.headers(spec.headers),
        body: spec.body === undefined ? undefined : this.#recordedBody(spec.body),
      },
      timings: { queued: toMicros(queued), done: toMicros(r.doneAt) },
    };
    if (burst !== undefined) ex.burst = burst;
    if (spec.phase !== undefined) ex.phase = spec.phase;
    if (r.sentAt !== undefined) ex.timings.sent = toMicros(r.sentAt);
    if (r.headersAt !== undefined) ex.timings.headers = toMicros(r.headersAt);
    // A response whose body failed part-way (stall, reset, malformed chunk) is not an answer:
    // recording it as one would let attacks judge a half-received 201 as a success. The status
    // seen before the failure stays visible in the error message, which is redacted too: it
    // can quote what the target sent (a status line, a header) or the URL.
    const error = r.error && {
      code: r.error.code,
      message: red.text(
        r.status !== undefined
          ? `answered ${r.status} but the body never completed: ${r.error.message}`
          : r.error.message,
      ),
    };
    if (r.status !== undefined && !r.error) {
      ex.response = {
        status: r.status,
        headers: red.headers(r.headers),
        body: red.body(r.body.toString('utf8'), r.truncated),
        bytes: r.bytes,
        truncated: r.truncated,
      };
      const arrival = this.#arrivalHeader === undefined ? undefined : r.headers[this.#arrivalHeader];
      if (arrival !== undefined && /^\d{1,20}$/.test(arrival)) ex.serverArrivalNs = arrival;
    }
    if (error) ex.error = error;
    if (r.doneAt > this.#lastDone) this.#lastDone = r.doneAt;
    this.#o.onExchange(ex);
    return ex;
  }
}

/**
 * Timings are kept to the microsecond. The clock's further digits are noise, and printing a
 * double's shortest form costs about as much as the rest of a small exchange's JSON.
 */
function toMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A slow --rate must not hold a stopped run for up to 1/rate seconds. */
function waitUnlessStopped(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function spread(values: readonly number[]): number | undefined {
  if (values.length < 2) return undefined;
  return Math.max(...values) - Math.min(...values);
}

export function burstSpreads(exchanges: readonly Exchange[]): {
  releaseSpreadMs: number | undefined;
  arrivalSpreadMs: number | undefined;
} {
  const sent = exchanges.flatMap((e) => (e.timings.sent === undefined ? [] : [e.timings.sent]));
  const arrivals = exchanges.flatMap((e) => (e.serverArrivalNs === undefined ? [] : [BigInt(e.serverArrivalNs)]));
  let arrivalSpreadMs: number | undefined;
  if (arrivals.length >= 2) {
    let min = arrivals[0] as bigint;
    let max = min;
    for (const a of arrivals) {
      if (a < min) min = a;
      if (a > max) max = a;
    }
    arrivalSpreadMs = Number(max - min) / 1e6;
  }
  return { releaseSpreadMs: spread(sent), arrivalSpreadMs };
}
