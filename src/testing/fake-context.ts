/**
 * A fake AttackContext for attack unit tests: the attack runs against a scripted target (a
 * function from request to answer, see fake-target.ts) on a virtual clock, without sockets, in
 * milliseconds. What stays real: requests are built by the engine's own request builder, options
 * are parsed by the attack's schema, findings are built by the engine's finding builder, side
 * effects are judged by the engine's rule (judgeWrites), and the responseId observer is the real
 * one. What is modelled: the target, the `ledger` and `sink` witnesses, the downstream provider,
 * client faults, and time. The fake does not redact secrets (the engine does, at record time).
 *
 * Time: `ctx.sleep(ms)` advances the virtual clock at once; an answer comes `latencyMs` after its
 * request (default 1), and the clock moves on to it when the attack receives it. A request sent
 * while an earlier one is still unanswered arrives while that one runs, so "a duplicate while the
 * original runs" can be scripted. Attacks that read the wall clock themselves see no time pass.
 *
 * Hooks: with `hooks` the fake declares scenario hooks that act on a FakeSystem (fake-system.ts):
 * a crashed target refuses connections until restarted, requests in flight die with it, and the
 * run's restore (storeUp, restart) follows the attack as the engine's does.
 */
import { DEFAULT_SECRET_HEADERS } from '../config/resolve.js';
import { resolveContract, type ContractOverrides } from '../config/profiles.js';
import type { AttackOutcome } from '../engine/attack-context.js';
import { buildFinding } from '../engine/finding-builder.js';
import { OperationBook, whenReady } from '../engine/operations.js';
import { contractFor, placementOf } from '../engine/request-builder.js';
import { RunSetup, type SetupTransport } from '../engine/setup.js';
import { deriveSeed, Rng } from '../random/rng.js';
import { noObserverError, sideEffectsOf } from '../engine/side-effects.js';
import { InterruptedError, RequestBudgetError } from '../errors/errors.js';
import type { Finding } from '../findings/finding.js';
import type { PendingCheck } from '../findings/pending-check.js';
import { burstSpreads, type BurstResult } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import { faultNotYetApplied, type FaultOutcome } from '../http/faults.js';
import { getHeader } from '../http/headers.js';
import type { RequestSpec } from '../http/request-spec.js';
import { chooseSyncMode, type ConcreteSyncMode } from '../http/sync/mode.js';
import { serializeHttp1 } from '../http/sync/http1-raw.js';
import { releaseWaves } from '../http/sync/staggered.js';
import { responseIdObserver } from '../observers/response-id.js';
import type { EffectCount, ObserverInstance } from '../observers/types.js';
import { flattenForm } from '../scenario/request-body.js';
import {
  DEFAULT_PRINCIPAL,
  type EndpointContract,
  type JsonValue,
  type KeyPlacement,
  type RequestBody,
  type ResolvedEndpoint,
  type ResolvedScenario,
  type SetupStep,
  type TeardownStep,
  type VaryKind,
} from '../scenario/types.js';
import type { Attack, AttackContext, Operation, PreparedRequest } from '../attacks/types.js';
import type { ExchangeContext } from '../http/engine.js';
import { describeHookRun, type HookRun } from '../hooks/types.js';
import { hooksOffReason } from '../engine/prepare-run.js';
import { FakeHookControl, FakeSystem, type FakeHooks } from './fake-system.js';
import {
  FakeDownstream,
  isTransportFailure,
  type FakeAnswer,
  type FakeRequest,
  type FakeTarget,
} from './fake-target.js';

/** The body of the fake's default endpoint (`POST /payments`). */
export const FAKE_BODY: { readonly [key: string]: JsonValue } = { amount: 1000, currency: 'usd', customer: 'cus_42' };

export const FAKE_BASE_URL = 'http://api.test';

/**
 * Witnesses of side effects: `ledger` reads the target's records (the writes its answers declared
 * for each key), `responseId` is the real observer on `$.id` (it infers writes from the answers),
 * `sink` counts what the fake downstream applied for the key (and gives the attack
 * `ctx.downstream`). Any ObserverInstance works too, e.g. one whose count fails.
 */
export type FakeObserver = 'ledger' | 'responseId' | 'sink' | ObserverInstance;

export interface FakeEndpoint {
  name?: string;
  method?: string;
  path?: string;
  headers?: Readonly<Record<string, string>>;
  /** Default FAKE_BODY; give `body: undefined` for a request without a body. */
  body?: JsonValue | undefined;
  /** A form body instead of JSON (flattened to bracket names as the loader does). */
  form?: Readonly<Record<string, JsonValue>>;
  /** A text body instead of JSON, with its media type. */
  text?: { text: string; contentType: string };
  /** Key template; default `{{uuid}}`. */
  key?: string;
  /** Where the key travels; default the contract's key header. */
  keyIn?: KeyPlacement;
  /** Setup steps (`per: run` or `per: operation`) and teardown, as resolved. */
  setup?: readonly SetupStep[];
  teardown?: readonly TeardownStep[];
  vary?: Readonly<Record<string, VaryKind>>;
  contract?: EndpointContract;
}

export interface FakeContextOptions {
  target: FakeTarget;
  /** The attack's options as a scenario would write them; the attack's schema fills the defaults. */
  options?: unknown;
  endpoint?: FakeEndpoint;
  /** The scenario's other endpoints (each needs a name). */
  otherEndpoints?: readonly (FakeEndpoint & { name: string })[];
  contract?: ContractOverrides;
  baseUrl?: string;
  nodes?: readonly string[];
  /** target.headers, sent with every request of the default principal (and under the others'). */
  headers?: Readonly<Record<string, string>>;
  /** target.principals: name → headers. */
  principals?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  http2?: boolean;
  /** Default `['ledger']`. */
  observe?: readonly FakeObserver[];
  seed?: number;
  /** settings.maxRequests: beyond it, sending throws RequestBudgetError as the engine does. */
  maxRequests?: number;
  maxWaitMs?: number;
  /** Aborting it makes the next send throw InterruptedError, as a Ctrl-C does. */
  signal?: AbortSignal;
  /**
   * The target reports when each request arrived (`target.arrivalHeader`): every answered exchange
   * gets `serverArrivalNs`, its arrival on the virtual clock in ns.
   */
  reportsArrival?: boolean;
  /**
   * Runs the attack as `idem-audit verify` does: with these checks, left by an earlier run, in
   * `ctx.deferred`, their exchanges counted by the observers as this run's.
   */
  deferred?: readonly PendingCheck[];
  /** The scenario's own setup and teardown steps. */
  setup?: readonly SetupStep[];
  teardown?: readonly TeardownStep[];
  /** Scenario hooks and what each does in the fake world (see fake-system.ts); default none. */
  hooks?: FakeHooks;
  /** false: the run was started without --allow-hooks, so no hook runs. Default true. */
  allowHooks?: boolean;
}

export interface FakeBurst {
  id: number;
  sync: ConcreteSyncMode;
  /** The pacing the attack asked for (`quietMs` of the burst options), if any. */
  quietMs: number | undefined;
  /** The release offsets the attack asked for (`offsetsMs` of the burst options), if any. */
  offsetsMs: readonly number[] | undefined;
  exchanges: readonly Exchange[];
}

export class FakeAttackRun {
  readonly ctx: AttackContext<unknown>;
  readonly scenario: ResolvedScenario;
  readonly endpoint: ResolvedEndpoint;
  /** Every exchange the attack sent, in the order the answers were recorded (after those of `deferred` checks). */
  readonly exchanges: Exchange[] = [];
  /** The setup and teardown requests (their `phase` says which), in the order they were answered. */
  readonly setupExchanges: Exchange[] = [];
  /** Every request the target received, in arrival order. */
  readonly requests: FakeRequest[] = [];
  readonly bursts: FakeBurst[] = [];
  readonly findings: Finding[] = [];
  readonly notes: string[] = [];
  readonly metrics: Record<string, JsonValue> = {};
  /** The checks the attack left for a later verify (`ctx.defer`). */
  readonly pending: PendingCheck[] = [];
  outcome: AttackOutcome = { kind: 'ran' };
  /** The downstream stand-in, when `observe` includes `sink`. */
  readonly downstream: FakeDownstream | undefined;
  /** The process and its store, when the fake declares hooks. */
  readonly system: FakeSystem | undefined;
  readonly #hooks: FakeHookControl;
  readonly #attack: Attack;
  readonly #target: FakeTarget;
  readonly #setup: RunSetup;
  readonly #transport: SetupTransport;
  readonly #ops: OperationBook;
  readonly #observers: readonly ObserverInstance[];
  readonly #signal: AbortSignal;
  readonly #reportsArrival: boolean;
  readonly #writes = new Map<string | undefined, number>();
  readonly #arrivals = new Map<string | undefined, number>();
  #now = 0;
  #sent = 0;
  /** Depth of `ctx.exclusive` sections the attack is in. */
  #exclusive = 0;
  #sections = 0;
  #nextExchange = 1;
  #nextBurst = 1;

  constructor(attack: Attack, o: FakeContextOptions) {
    this.#attack = attack;
    this.#target = o.target;
    this.#signal = o.signal ?? new AbortController().signal;
    this.#reportsArrival = o.reportsArrival === true;
    const options: unknown = attack.meta.options.parse(o.options ?? {});
    const seed = o.seed ?? 1;
    this.endpoint = endpointOf({ name: 'pay', ...o.endpoint }, [{ id: attack.meta.id, options }]);
    this.scenario = scenarioOf(o, [this.endpoint, ...(o.otherEndpoints ?? []).map((e) => endpointOf(e, []))], seed);
    const observe = o.observe ?? ['ledger'];
    this.downstream = observe.includes('sink') ? new FakeDownstream() : undefined;
    this.system = o.hooks === undefined ? undefined : new FakeSystem(() => this.#now);
    this.#hooks = new FakeHookControl(
      o.hooks ?? {},
      this.system ?? new FakeSystem(() => this.#now),
      o.allowHooks === false ? hooksOffReason('--allow-hooks') : undefined,
      (ms) => this.#advance(ms),
    );
    this.#observers = observe.map((ob) => this.#observer(ob));
    const { scenario, endpoint } = this;
    const rng = new Rng(deriveSeed(seed, endpoint.name, attack.meta.id));
    const uuidRng = new Rng(deriveSeed(seed, endpoint.name, attack.meta.id, 'uuid'));
    const uuid = (): string => uuidRng.uuid();
    this.#setup = new RunSetup({
      scenario,
      uuid: (...parts) => {
        const r = new Rng(deriveSeed(seed, 'setup', ...parts));
        return () => r.uuid();
      },
      // The fake redacts nothing (the engine does, at record time).
      secret: () => undefined,
      isSecretHeader: () => false,
    });
    this.#transport = { send: (spec, c) => this.#sendSetup(spec, c) };
    const ops = new OperationBook({
      scenario,
      endpoint,
      attack: attack.meta.id,
      setup: this.#setup,
      transport: this.#transport,
      uuid,
    });
    this.#ops = ops;
    const recorded = (ex: Exchange, req: PreparedRequest): Exchange => {
      ops.record(ex, req.operation);
      return ex;
    };
    let ctx: AttackContext<unknown> = {
      options,
      scenario,
      endpoint,
      contract: contractFor(scenario, endpoint),
      keyIn: placementOf(scenario, endpoint),
      rng,
      signal: this.#signal,
      newKey: () => ops.newKey(),
      operation: (o) => ops.open(o?.endpoint ?? endpoint.name, o?.principal ?? DEFAULT_PRINCIPAL, undefined),
      request: (r) => ops.prepare(r),
      setUp: async (op) => {
        await ops.values(op);
      },
      send: (req) => whenReady(ops.finish(req), async (spec) => recorded(await this.#send(spec), req)),
      burst: async (reqs, opts) => {
        const specs: RequestSpec[] = [];
        for (const req of reqs) specs.push(await ops.finish(req));
        const b = await this.#burst(specs, opts?.sync, opts?.quietMs, opts?.offsetsMs);
        b.exchanges.forEach((ex, i) => {
          const req = reqs[i];
          if (req) ops.record(ex, req.operation);
        });
        return b;
      },
      sendWithFault: async (req, fault) => {
        const r = await whenReady(ops.finish(req), (spec) => this.#sendWithFault(spec, fault));
        recorded(r.exchange, req);
        return r;
      },
      exclusive: async (work) => {
        this.#sections++;
        this.#exclusive++;
        try {
          return await work();
        } finally {
          this.#exclusive--;
        }
      },
      sideEffects: (key, operation) => this.#sideEffects(key, operation),
      hooks: {
        unavailable: this.#hooks.unavailable,
        declared: (name) => this.#hooks.declared(name),
        run: async (name) => {
          const r = await this.#hooks.run(name);
          this.notes.push(describeHookRun(r));
          return r;
        },
      },
      sleep: (ms) => {
        if (!this.#signal.aborted) this.#advance(ms);
        return Promise.resolve();
      },
      report: (f) => {
        this.findings.push(
          buildFinding(
            {
              attack: attack.meta,
              scenario: scenario.name,
              endpoint: endpoint.name,
              seed,
              reproCommand: `idem-audit run fake.yaml --only ${attack.meta.id} --seed ${seed}`,
            },
            { ...f, exchanges: [...ops.setupEvidence(f.exchanges), ...f.exchanges] },
          ),
        );
      },
      skip: (reason) => {
        this.outcome = { kind: 'skipped', reason };
      },
      inconclusive: (reason) => {
        this.outcome = { kind: 'inconclusive', reason };
      },
      note: (text) => {
        this.notes.push(text);
      },
      metric: (name, value) => {
        this.metrics[name] = value;
      },
      // As the engine does, a check keeps only exchanges this run recorded.
      defer: (check) => {
        this.pending.push({ ...check, exchanges: check.exchanges.filter((e) => this.exchanges.includes(e)) });
      },
    };
    if (o.maxWaitMs !== undefined) ctx = { ...ctx, maxWaitMs: o.maxWaitMs };
    if (o.deferred !== undefined) {
      for (const check of o.deferred) this.exchanges.push(...check.exchanges);
      ctx = { ...ctx, deferred: o.deferred };
    }
    const downstream = this.#observers.find((ob) => ob.downstream !== undefined)?.downstream;
    if (downstream) ctx = { ...ctx, downstream };
    this.ctx = ctx;
  }

  /**
   * Runs the scenario's and the endpoint's setup, the attack once, then restores what its hooks
   * left broken and runs every teardown due, as a run does; rejects with whatever the attack throws
   * (findings reported before stay, and the restore still happens) or with the SetupFailedError of
   * a setup the attack needed.
   */
  async run(): Promise<this> {
    for (const ob of this.#observers) if (ob.start) await ob.start();
    try {
      await this.#setup.endpoint(this.endpoint, this.#transport, this.#attack.meta.id);
      await this.#attack.run(this.ctx);
    } finally {
      const before = this.#hooks.runs.length;
      await this.#hooks.restore();
      for (const r of this.#hooks.runs.slice(before)) this.notes.push(describeHookRun(r));
      await this.#setup.teardown(this.#transport, Number.POSITIVE_INFINITY, () => this.#now);
    }
    return this;
  }

  /** Every hook run, the attack's and the restores after it, in order. */
  get hookRuns(): readonly HookRun[] {
    return this.#hooks.runs;
  }

  /** `name@purpose` of every hook run: compact to assert on. */
  hooksRan(): string[] {
    return this.#hooks.runs.map((r) => `${r.hook}${r.purpose === 'restore' ? '@restore' : ''}${r.ok ? '' : '!'}`);
  }

  /** Writes the target declared for a key (undefined: requests without a key). */
  writes(key: string | undefined): number {
    return this.#writes.get(key) ?? 0;
  }

  /** `ctx.exclusive` sections the attack opened (nested ones included). */
  get exclusiveSections(): number {
    return this.#sections;
  }

  /** The virtual clock, in ms. */
  get now(): number {
    return this.#now;
  }

  /** The finding kinds, sorted: compact to assert on. */
  kinds(): string[] {
    return this.findings.map((f) => f.kind).sort();
  }

  #advance(ms: number): void {
    this.#now += Math.max(0, ms);
    this.system?.advanced();
  }

  /** A request to a crashed target: the connection is refused, nothing arrives. */
  #refused(spec: RequestSpec, burst?: number): Exchange {
    return this.#record(
      spec,
      this.#now,
      this.#now,
      { error: 'connect-refused', message: 'fake: the target is down' },
      burst,
    );
  }

  #down(): boolean {
    return this.system !== undefined && !this.system.up;
  }

  #reserve(n: number): void {
    if (this.#signal.aborted) throw new InterruptedError();
    const max = this.scenario.settings.maxRequests;
    if (this.#sent + n > max) throw new RequestBudgetError(max);
    this.#sent += n;
  }

  #arrive(spec: RequestSpec, via: FakeRequest['via'], extra: Partial<FakeRequest> = {}): FakeRequest {
    // Setup and teardown requests are not the key's: they neither count as its arrivals nor as its writes.
    const nth = spec.phase === undefined ? (this.#arrivals.get(spec.key) ?? 0) + 1 : 1;
    if (spec.phase === undefined) this.#arrivals.set(spec.key, nth);
    const u = new URL(spec.url);
    const body = 'body' in extra ? extra.body : spec.body;
    const req: FakeRequest = {
      label: spec.label,
      method: spec.method,
      url: spec.url,
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      headers: spec.headers,
      body,
      key: spec.key,
      principal: spec.principal,
      nth,
      at: this.#now,
      via,
      burst: undefined,
      fault: undefined,
      torn: false,
      hangUpAfterMs: undefined,
      exclusive: via !== 'send' || this.#exclusive > 0,
      phase: spec.phase,
      ...extra,
      header: (name) => getHeader(spec.headers, name),
      json: () => parseJson(body),
    };
    this.requests.push(req);
    return req;
  }

  /** Asks the target (synchronously up to its first await, so arrival order is call order). */
  async #answer(req: FakeRequest): Promise<FakeAnswer> {
    const answer = await this.#target(req, { downstream: this.downstream, run: this, system: this.system });
    const writes = answer.writes ?? 0;
    if (writes !== 0 && req.phase === undefined) this.#writes.set(req.key, this.writes(req.key) + writes);
    return answer;
  }

  #record(
    spec: RequestSpec,
    at: number,
    done: number,
    answer: FakeAnswer,
    burst?: number,
    ctx: ExchangeContext = { attack: this.#attack.meta.id, endpoint: this.endpoint.name },
  ): Exchange {
    const ex: Exchange = {
      id: this.#nextExchange++,
      label: spec.label,
      attack: ctx.attack,
      endpoint: ctx.endpoint,
      key: spec.key,
      principal: spec.principal,
      request: { method: spec.method, url: spec.url, headers: { ...spec.headers }, body: spec.body },
      timings: { queued: at, sent: at, done },
    };
    if (burst !== undefined) ex.burst = burst;
    if (spec.phase !== undefined) ex.phase = spec.phase;
    if (isTransportFailure(answer)) {
      ex.error = { code: answer.error, message: answer.message ?? `fake ${answer.error}` };
    } else {
      const body =
        answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      const headers: Record<string, string> = {};
      if (answer.body !== undefined && typeof answer.body !== 'string') headers['content-type'] = 'application/json';
      for (const [name, value] of Object.entries(answer.headers ?? {})) headers[name.toLowerCase()] = value;
      ex.response = { status: answer.status, headers, body, bytes: Buffer.byteLength(body), truncated: false };
      ex.timings.headers = done;
      if (this.#reportsArrival) ex.serverArrivalNs = String(Math.round(at * 1e6));
    }
    (spec.phase === undefined ? this.exchanges : this.setupExchanges).push(ex);
    return ex;
  }

  /** Hands `value` to the attack after everything it does synchronously, then moves the clock to `done`. */
  #deliver<T>(value: T, done: number): Promise<T> {
    return new Promise((resolve) => {
      setImmediate(() => {
        this.#now = Math.max(this.#now, done);
        resolve(value);
      });
    });
  }

  /** A setup or teardown request: budgeted and answered by the target like any other, recorded apart. */
  async #sendSetup(spec: RequestSpec, ctx: ExchangeContext): Promise<{ exchange: Exchange }> {
    this.#reserve(1);
    const at = this.#now;
    const answer = await this.#answer(this.#arrive(spec, 'send'));
    const done = at + latencyOf(answer);
    return this.#deliver({ exchange: this.#record(spec, at, done, answer, undefined, ctx) }, done);
  }

  async #send(spec: RequestSpec): Promise<Exchange> {
    this.#reserve(1);
    if (this.#down()) return this.#deliver(this.#refused(spec), this.#now);
    const at = this.#now;
    const answer = await this.#answer(this.#arrive(spec, 'send'));
    const done = at + latencyOf(answer);
    return this.#deliver(this.#record(spec, at, done, answer), done);
  }

  /** Copies with a release offset arrive that much later, and the target sees them in arrival order. */
  async #burst(
    specs: readonly RequestSpec[],
    sync: Parameters<typeof chooseSyncMode>[0] | undefined,
    quietMs: number | undefined,
    offsetsMs: readonly number[] | undefined,
  ): Promise<BurstResult> {
    this.#reserve(specs.length);
    const id = this.#nextBurst++;
    if (this.#down()) {
      const exchanges = specs.map((s) => this.#refused(s, id));
      return this.#deliver(
        { id, exchanges, sync: 'none', notes: [], releaseSpreadMs: 0, arrivalSpreadMs: undefined },
        this.#now,
      );
    }
    const start = this.#now;
    const arrivals = new Array<number>(specs.length).fill(start);
    for (const wave of releaseWaves(specs.length, offsetsMs))
      for (const i of wave.indexes) arrivals[i] = start + wave.offsetMs;
    const order = specs.map((_, i) => i).sort((a, b) => (arrivals[a] ?? 0) - (arrivals[b] ?? 0));
    const answers = new Array<Promise<FakeAnswer>>(specs.length);
    for (const i of order) {
      const s = specs[i] as RequestSpec;
      answers[i] = this.#answer(
        this.#arrive(s, 'burst', { at: arrivals[i] ?? start, burst: { id, index: i, size: specs.length } }),
      );
    }
    const answered = await Promise.all(answers);
    const mode = await chooseSyncMode(sync ?? 'auto', specs[0]?.url ?? this.scenario.target.baseUrl, {
      h2c: this.scenario.target.http2 === true,
      alpnH2: () => Promise.resolve(false),
    });
    let done = start;
    const exchanges = specs.map((s, i) => {
      const answer = answered[i] ?? { error: 'other' };
      const at = arrivals[i] ?? start;
      done = Math.max(done, at + latencyOf(answer));
      return this.#record(s, at, at + latencyOf(answer), answer, id);
    });
    this.bursts.push({ id, sync: mode, quietMs, offsetsMs, exchanges });
    const result: BurstResult = {
      id,
      exchanges,
      sync: mode,
      notes: [],
      ...burstSpreads(exchanges),
    };
    return this.#deliver(result, done);
  }

  /** The engine's client faults, with the byte counts of the request as the engine serialises it. */
  async #sendWithFault(
    spec: RequestSpec,
    fault: Parameters<AttackContext<unknown>['sendWithFault']>[1],
  ): Promise<{ exchange: Exchange; fault: FaultOutcome }> {
    this.#reserve(1);
    const at = this.#now;
    const wire = serializeHttp1(spec);
    if (this.#down()) {
      const outcome = {
        ...faultNotYetApplied(fault, wire.length),
        description: 'not applied: the connection was refused',
      };
      return this.#deliver({ exchange: this.#refused(spec), fault: outcome }, at);
    }
    const headEnd = wire.indexOf('\r\n\r\n') + 4;
    const total = wire.length;
    const outcome = faultNotYetApplied(fault, total);
    const lost = (
      message: string,
      code: 'reset' | 'aborted',
      done = at,
    ): Promise<{ exchange: Exchange; fault: FaultOutcome }> =>
      this.#deliver({ exchange: this.#record(spec, at, done, { error: code, message }), fault: outcome }, done);

    if (fault.kind === 'reset-mid-body') {
      if (total - headEnd < 2) {
        outcome.description = 'reset-mid-body not applied: the request has no body to cut';
        return lost('reset-mid-body needs a request body of at least 2 bytes', 'aborted');
      }
      const cut = headEnd + Math.floor((total - headEnd) / 2);
      await this.#answer(
        this.#arrive(spec, 'fault', { fault, torn: true, body: wire.subarray(headEnd, cut).toString('utf8') }),
      );
      Object.assign(outcome, {
        bytesWritten: cut,
        applied: true,
        description: `reset after ${cut} of ${total} bytes (mid-body)`,
      });
      return lost(`idem-audit reset the connection after ${cut} of ${total} bytes`, 'reset');
    }
    Object.assign(outcome, { bytesWritten: total, completeRequestSent: true });
    const hangUpAfterMs = fault.kind === 'reset-after-body' ? 0 : fault.afterMs;
    const answer = await this.#answer(this.#arrive(spec, 'fault', { fault, hangUpAfterMs }));
    if (fault.kind === 'reset-after-body') {
      Object.assign(outcome, { applied: true, description: `reset right after the complete request (${total} bytes)` });
      return lost(`idem-audit reset the connection after all ${total} bytes`, 'reset');
    }
    if (latencyOf(answer) <= fault.afterMs) {
      outcome.description = 'not applied: the answer arrived before the abort';
      const done = at + latencyOf(answer);
      return this.#deliver({ exchange: this.#record(spec, at, done, answer), fault: outcome }, done);
    }
    Object.assign(outcome, {
      applied: true,
      description: `closed ${fault.afterMs} ms after the complete request (${total} bytes), before the answer`,
    });
    return lost(
      `idem-audit closed the connection ${fault.afterMs} ms after the last byte`,
      'aborted',
      at + fault.afterMs,
    );
  }

  async #sideEffects(key: string, operation: Operation | undefined): Promise<ReturnType<typeof sideEffectsOf>> {
    if (this.#observers.length === 0) throw noObserverError(this.endpoint.name);
    const exchanges = this.exchanges.filter((e) => e.key === key);
    const variables = await this.#ops.countValues(key, operation);
    const counts: EffectCount[] = [];
    for (const ob of this.#observers) {
      const c = await ob.count(key, { exchanges, variables });
      this.exchanges.push(...c.evidence);
      counts.push(c);
    }
    return sideEffectsOf(key, counts);
  }

  #observer(ob: FakeObserver): ObserverInstance {
    if (typeof ob !== 'string') return ob;
    switch (ob) {
      case 'ledger':
        return {
          count: (key) => {
            const n = this.writes(key);
            return Promise.resolve({
              observer: 'ledger',
              count: n,
              detail: `ledger: ${n} writes for the key`,
              evidence: [],
            });
          },
        };
      case 'responseId':
        return responseIdObserver.create('$.id', {
          scenario: this.scenario,
          endpoint: this.endpoint,
          send: () => Promise.reject(new Error('the fake responseId observer sends nothing')),
          url: (path) => `${this.scenario.target.baseUrl}${path}`,
        });
      case 'sink': {
        const downstream = this.downstream ?? new FakeDownstream();
        return {
          downstream,
          count: (key) => {
            const n = downstream.applied(key);
            return Promise.resolve({
              observer: 'sink',
              count: n,
              detail: `sink: ${n} applied for the key`,
              evidence: [],
            });
          },
        };
      }
    }
  }
}

/** Builds the fake context for `attack`, runs it, and returns the run to assert on. */
export function runFake(attack: Attack, o: FakeContextOptions): Promise<FakeAttackRun> {
  return new FakeAttackRun(attack, o).run();
}

function latencyOf(a: FakeAnswer): number {
  return Math.max(0, a.latencyMs ?? 1);
}

function parseJson(body: string | undefined): unknown {
  if (body === undefined || body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function endpointOf(e: FakeEndpoint & { name: string }, attacks: ResolvedEndpoint['attacks']): ResolvedEndpoint {
  return {
    name: e.name,
    request: {
      method: e.method ?? 'POST',
      path: e.path ?? '/payments',
      headers: { ...e.headers },
      body: bodyOf(e),
    },
    key: e.key ?? '{{uuid}}',
    ...(e.keyIn ? { keyIn: e.keyIn } : {}),
    ...(e.setup ? { setup: e.setup } : {}),
    ...(e.teardown ? { teardown: e.teardown } : {}),
    vary: { ...e.vary },
    observe: [],
    attacks,
    ...(e.contract ? { contract: e.contract } : {}),
  };
}

function bodyOf(e: FakeEndpoint): RequestBody | undefined {
  if (e.form !== undefined) return { kind: 'form', fields: flattenForm(e.form) };
  if (e.text !== undefined) return { kind: 'text', ...e.text };
  if (!('body' in e)) return { kind: 'json', value: FAKE_BODY };
  return e.body === undefined ? undefined : { kind: 'json', value: e.body };
}

function scenarioOf(o: FakeContextOptions, endpoints: readonly ResolvedEndpoint[], seed: number): ResolvedScenario {
  return {
    file: '/fake/scenario.yaml',
    version: 1,
    name: 'fake',
    target: {
      baseUrl: o.baseUrl ?? FAKE_BASE_URL,
      nodes: [...(o.nodes ?? [])],
      headers: { ...o.headers },
      principals: Object.entries(o.principals ?? {}).map(([name, headers]) => ({ name, headers: { ...headers } })),
      timeoutMs: 10_000,
      ...(o.http2 === true ? { http2: true } : {}),
    },
    contract: resolveContract(o.contract),
    endpoints,
    ...(o.setup ? { setup: o.setup } : {}),
    ...(o.teardown ? { teardown: o.teardown } : {}),
    settings: {
      seed,
      failOn: 'high',
      maxRequests: o.maxRequests ?? 10_000,
      rate: undefined,
      bodyCap: 65_536,
      secretHeaders: DEFAULT_SECRET_HEADERS,
    },
    secretValues: [],
  };
}
