/**
 * The operations of one attack (attacks/types.ts, `Operation`): which operation each request
 * belongs to, the setup each operation needs before its first request, and the captures its
 * requests render. The engine's attack context and the test kit's fake context share it, so an
 * attack sends the same setup in a unit test as in a run.
 *
 * An operation is found by (endpoint, principal, key): a key drawn with `newKey` opens one, and a
 * request whose key no operation holds yet opens one for it, so every later request with that key
 * acts on the same resources. A request without a key opens its own unless the attack names one.
 */
import type { Operation, PreparedRequest, RequestOverrides } from '../attacks/types.js';
import type { Exchange } from '../http/exchange.js';
import type { RequestSpec } from '../http/request-spec.js';
import { DEFAULT_PRINCIPAL, type ResolvedEndpoint, type ResolvedScenario } from '../scenario/types.js';
import { draftRequest, finishRequest, renderKey } from './request-builder.js';
import type { Captured, RunSetup, SetupTransport } from './setup.js';

export interface OperationBookOptions {
  scenario: ResolvedScenario;
  /** The endpoint the attack audits. */
  endpoint: ResolvedEndpoint;
  attack: string;
  setup: RunSetup;
  transport: SetupTransport;
  /** The attack's `{{uuid}}` stream (keys and templates). */
  uuid: () => string;
}

export class OperationBook {
  readonly #o: OperationBookOptions;
  readonly #byKey = new Map<string, Operation>();
  readonly #values = new Map<number, Promise<Captured>>();
  readonly #resolved = new Map<number, Captured>();
  readonly #setupExchanges = new Map<number, readonly Exchange[]>();
  readonly #ofExchange = new WeakMap<Exchange, Operation>();
  #next = 1;

  constructor(o: OperationBookOptions) {
    this.#o = o;
  }

  /** A fresh operation; with a key, later requests with that key (on its endpoint, by its principal) join it. */
  open(endpoint: string, principal: string, key: string | undefined): Operation {
    const op: Operation = { id: this.#next++, endpoint, principal, key };
    if (key !== undefined) this.#byKey.set(bookKey(endpoint, principal, key), op);
    return op;
  }

  /** A fresh key from the endpoint's template, and its operation. */
  newKey(): string {
    const key = renderKey(this.#o.endpoint, this.#o.uuid);
    this.open(this.#o.endpoint.name, DEFAULT_PRINCIPAL, key);
    return key;
  }

  /** The operation `key` belongs to on the attack's endpoint (or another) for a principal, if any. */
  ofKey(key: string, endpoint = this.#o.endpoint.name, principal = DEFAULT_PRINCIPAL): Operation | undefined {
    return this.#byKey.get(bookKey(endpoint, principal, key));
  }

  /** `ctx.request`: the request drafted now (its `{{uuid}}` drawn), bound to its operation. */
  prepare(o: RequestOverrides): PreparedRequest {
    const endpoint = this.#endpoint(o.endpoint);
    const principal = o.principal ?? DEFAULT_PRINCIPAL;
    const operation =
      o.operation ??
      (o.key === undefined ? undefined : this.ofKey(o.key, endpoint.name, principal)) ??
      this.open(endpoint.name, principal, o.key);
    // A key last used in a named operation belongs to it now (side effects are counted there).
    if (o.operation && o.key !== undefined)
      this.#byKey.set(bookKey(o.operation.endpoint, principal, o.key), o.operation);
    const draft = draftRequest(this.#o.scenario, endpoint, this.#o.uuid, o);
    return { label: o.label, key: o.key, principal, operation, draft };
  }

  /** The captures an operation's requests render, its setup run first (once; a failure is kept and thrown again). */
  values(op: Operation): Promise<Captured> {
    let done = this.#values.get(op.id);
    if (!done) {
      const { setup, transport, attack } = this.#o;
      const endpoint = this.#endpoint(op.endpoint);
      done = (
        hasOperationSetup(endpoint)
          ? setup.operation(endpoint, op, transport, attack).then((r) => {
              this.#setupExchanges.set(op.id, r.exchanges);
              return r.values;
            })
          : setup.endpoint(endpoint, transport, attack)
      ).then((values) => {
        this.#resolved.set(op.id, values);
        return values;
      });
      // A failed setup is reported where the request is sent; the stored promise must not count as unhandled.
      done.catch(() => undefined);
      this.#values.set(op.id, done);
    }
    return done;
  }

  /**
   * The captures the observers render when counting for `key`: its operation's, once that
   * operation's setup ran (counting never sets anything up), else the endpoint's.
   */
  countValues(key: string, operation: Operation | undefined): Promise<Captured> {
    const op = operation ?? this.ofKey(key);
    if (op && (operation !== undefined || this.#values.has(op.id))) return this.values(op);
    return this.#o.setup.endpoint(this.#o.endpoint, this.#o.transport, this.#o.attack);
  }

  /**
   * The request as it is sent, once its operation's setup ran. Synchronous when nothing is left
   * to set up, so a request goes out in the turn the attack sent it in: requests an attack sends
   * one right after the other (a duplicate while the first runs) keep their order and spacing.
   */
  finish(req: PreparedRequest): RequestSpec | Promise<RequestSpec> {
    const op = req.operation;
    const now =
      this.#resolved.get(op.id) ??
      (hasOperationSetup(this.#endpoint(op.endpoint)) ? undefined : this.#o.setup.endpointNow(op.endpoint));
    if (now === undefined) return this.values(op).then((values) => this.#finish(req, values));
    try {
      return this.#finish(req, now);
    } catch (err) {
      // Sending fails like the send it is part of: as a rejection, never a throw in the attack's turn.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #finish(req: PreparedRequest, values: Captured): RequestSpec {
    return finishRequest(req.draft, { label: req.label, key: req.key, principal: req.principal, values });
  }

  /** Remembers which operation an exchange belongs to (for the evidence of findings). */
  record(ex: Exchange, op: Operation): void {
    this.#ofExchange.set(ex, op);
  }

  /** The setup requests of the operations behind `exchanges`, in the order they were sent. */
  setupEvidence(exchanges: readonly Exchange[]): Exchange[] {
    const ops = new Set<number>();
    for (const ex of exchanges) {
      const op = this.#ofExchange.get(ex);
      if (op) ops.add(op.id);
    }
    return [...ops].flatMap((id) => this.#setupExchanges.get(id) ?? []).sort((a, b) => a.id - b.id);
  }

  #endpoint(name: string | undefined): ResolvedEndpoint {
    if (name === undefined || name === this.#o.endpoint.name) return this.#o.endpoint;
    const other = this.#o.scenario.endpoints.find((e) => e.name === name);
    if (!other) throw new Error(`the scenario has no endpoint '${name}'`);
    return other;
  }
}

/** `f(v)` now if `v` is a value (in this turn), after `v` if it is a promise. */
export function whenReady<T, U>(v: T | Promise<T>, f: (ready: T) => Promise<U>): Promise<U> {
  return v instanceof Promise ? v.then(f) : f(v);
}

function hasOperationSetup(endpoint: ResolvedEndpoint): boolean {
  return endpoint.setup?.some((s) => s.per === 'operation') ?? false;
}

function bookKey(endpoint: string, principal: string, key: string): string {
  return `${endpoint}\u0000${principal}\u0000${key}`;
}
