/**
 * The recording downstream stub behind the sink observer: the target calls it instead of its real
 * provider. It applies each call like a provider would (honouring a repeated downstream idempotency
 * key), records the outcome per attributed key, and misbehaves on command so the target's handling
 * of a failing, slow, hanging or resetting provider can be judged by what was really applied.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DownstreamCall, DownstreamRule } from './types.js';

/** `header:Name`: where a call carries a value. */
export type HeaderRef = `header:${string}`;

export interface SinkServerOptions {
  host: string;
  port: number;
  /** Where the downstream idempotency key is: a repeated one is not applied twice. */
  key: HeaderRef;
  /** Where the audit's key is, for attribution (default: `key`). */
  reference: HeaderRef | undefined;
  /** Upper bound of a hang: the stub lets go after this long even if the caller never does. */
  hangMs: number;
  /**
   * Calls kept one by one per key (default 10 000); beyond that a target stuck in a retry loop is
   * still counted, by tally, but no longer grows memory.
   */
  maxCallsPerKey?: number;
}

export const DEFAULT_MAX_CALLS_PER_KEY = 10_000;

interface Applied {
  status: number;
  body: string;
}

export class SinkServer {
  readonly #o: SinkServerOptions;
  readonly #server: Server;
  readonly #calls = new Map<string, DownstreamCall[]>();
  readonly #rules = new Map<string, DownstreamRule>();
  /** Applied results by downstream idempotency key, so a repeat is answered without applying again. */
  readonly #applied = new Map<string, Applied>();
  readonly #held = new Set<Socket>();
  readonly #waiters = new Map<string, Set<(call: DownstreamCall) => void>>();
  /** Applied calls beyond maxCallsPerKey, by key: counted, not kept. */
  readonly #overflow = new Map<string, number>();
  #unattributed = 0;
  #nextId = 1;
  #url: string | undefined;
  #listening: Promise<void> | undefined;

  constructor(o: SinkServerOptions) {
    this.#o = o;
    this.#server = createServer((req, res) => this.#handle(req, res));
    // A caller that trickles its request must not hold a connection for Node's default 5 minutes.
    this.#server.requestTimeout = Math.max(o.hangMs, 5_000);
    this.#server.headersTimeout = Math.min(this.#server.requestTimeout, 60_000);
  }

  get url(): string {
    if (this.#url === undefined) throw new Error('the sink is not listening yet');
    return this.#url;
  }

  listen(): Promise<void> {
    this.#listening ??= this.#listen();
    return this.#listening;
  }

  async #listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.#server.address() as AddressInfo;
    const host = this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host;
    this.#url = `http://${host}:${port}`;
  }

  program(key: string, rule: DownstreamRule): void {
    this.#rules.set(key, rule);
  }

  calls(key: string): readonly DownstreamCall[] {
    return this.#calls.get(key) ?? [];
  }

  waitForCall(key: string, signal: AbortSignal): Promise<DownstreamCall | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set();
      this.#waiters.set(key, waiters);
      const done = (call: DownstreamCall | undefined): void => {
        waiters.delete(onCall);
        if (waiters.size === 0) this.#waiters.delete(key);
        signal.removeEventListener('abort', onAbort);
        resolve(call);
      };
      const onCall = (call: DownstreamCall): void => done(call);
      const onAbort = (): void => done(undefined);
      waiters.add(onCall);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Applied calls for `key` beyond those `calls` keeps. */
  /** Calls that carried neither the key nor the reference header: applied, but nobody's. */
  unattributed(): number {
    return this.#unattributed;
  }

  /** Applied calls for `key` beyond those `calls` keeps. */
  overflow(key: string): number {
    return this.#overflow.get(key) ?? 0;
  }

  async close(): Promise<void> {
    for (const s of this.#held) s.destroy();
    this.#held.clear();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    // The body is drained but not interpreted: what matters is that a call happened and how it ended.
    req.resume();
    req.on('end', () => this.#respond(req, res));
  }

  #respond(req: IncomingMessage, res: ServerResponse): void {
    const dkey = headerOf(req, this.#o.key);
    const ref = headerOf(req, this.#o.reference ?? this.#o.key) ?? dkey;
    if (ref === undefined) this.#unattributed++;
    const list = ref === undefined ? [] : this.#callsFor(ref);
    const rule = ref === undefined ? undefined : this.#rules.get(ref);
    const fault = rule !== undefined && list.length < rule.times ? rule : undefined;
    const call: DownstreamCall = { key: dkey, outcome: 'applied', fault: fault?.fault };
    const kept =
      ref === undefined || fault !== undefined || list.length < (this.#o.maxCallsPerKey ?? DEFAULT_MAX_CALLS_PER_KEY);
    if (kept) list.push(call);
    else if (!(dkey !== undefined && this.#applied.has(dkey))) this.#overflow.set(ref, this.overflow(ref) + 1);
    if (ref !== undefined) for (const w of [...(this.#waiters.get(ref) ?? [])]) w(call);

    if (fault?.fault === 'fail') {
      call.outcome = 'failed';
      this.#send(res, fault.status ?? 503, { error: 'downstream_unavailable' }, call);
      return;
    }
    const earlier = dkey === undefined ? undefined : this.#applied.get(dkey);
    let result: Applied;
    if (earlier) {
      call.outcome = 'replayed';
      result = earlier;
    } else {
      result = { status: 200, body: JSON.stringify({ id: `dn_${this.#nextId++}`, applied: true }) };
      if (dkey !== undefined) this.#applied.set(dkey, result);
    }
    const lost = (): void => {
      if (call.outcome === 'applied') call.outcome = 'applied-lost';
    };
    switch (fault?.fault) {
      case 'reset':
        lost();
        resetSocket(req.socket);
        return;
      case 'hang': {
        lost();
        const socket = req.socket;
        this.#held.add(socket);
        const timer = setTimeout(() => socket.destroy(), this.#o.hangMs);
        socket.once('close', () => {
          clearTimeout(timer);
          this.#held.delete(socket);
        });
        return;
      }
      case 'delay': {
        const timer = setTimeout(() => this.#send(res, result.status, result.body, call), fault.delayMs ?? 1000);
        res.once('close', () => {
          clearTimeout(timer);
          if (!res.writableFinished) lost();
        });
        return;
      }
      default:
        this.#send(res, result.status, result.body, call);
    }
  }

  #callsFor(ref: string): DownstreamCall[] {
    let list = this.#calls.get(ref);
    if (!list) {
      list = [];
      this.#calls.set(ref, list);
    }
    return list;
  }

  #send(res: ServerResponse, status: number, body: unknown, call: DownstreamCall): void {
    if (res.destroyed) {
      if (call.outcome === 'applied') call.outcome = 'applied-lost';
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }
}

function headerOf(req: IncomingMessage, ref: HeaderRef): string | undefined {
  const v = req.headers[ref.slice('header:'.length).toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function resetSocket(socket: Socket): void {
  const s = socket as Socket & { resetAndDestroy?: () => Socket };
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else socket.destroy();
}

/** Sinks by listen address, so several endpoints declaring the same fixed address share one stub. */
const shared = new Map<string, { sink: SinkServer; refs: number }>();

export function acquireSink(o: SinkServerOptions): { sink: SinkServer; release: () => Promise<void> } {
  // Port 0 means "any free port": never shared, since nobody could know which port to share.
  const id = o.port === 0 ? undefined : `${o.host}:${o.port}`;
  const existing = id === undefined ? undefined : shared.get(id);
  const entry = existing ?? { sink: new SinkServer(o), refs: 0 };
  if (id !== undefined && !existing) shared.set(id, entry);
  entry.refs += 1;
  let released = false;
  return {
    sink: entry.sink,
    release: async () => {
      if (released) return;
      released = true;
      entry.refs -= 1;
      if (entry.refs > 0) return;
      if (id !== undefined) shared.delete(id);
      await entry.sink.close();
    },
  };
}
