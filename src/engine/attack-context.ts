/**
 * Builds the context an attack runs in: request construction from the endpoint template,
 * sending through the shared engine, side-effect counting through the endpoint's observers,
 * and the collection of findings and outcome.
 */
import type {
  Attack,
  AttackContext,
  FindingReport,
  Operation,
  PreparedRequest,
  SideEffects,
} from '../attacks/types.js';
import { InterruptedError } from '../errors/errors.js';
import type { Finding, FindingBaseline } from '../findings/finding.js';
import type { PendingCheck } from '../findings/pending-check.js';
import type { HeaderVariables } from '../findings/shell-variables.js';
import type { BurstResult, HttpEngine } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import type { Lane } from '../http/lane.js';
import { describeHookRun, type HookControl, type HookRun } from '../hooks/types.js';
import type { ObserverInstance } from '../observers/types.js';
import type { Rng } from '../random/rng.js';
import type { BurstStat } from '../result/result.js';
import { DEFAULT_PRINCIPAL, type JsonValue, type ResolvedEndpoint, type ResolvedScenario } from '../scenario/types.js';
import { burstTimeline } from './burst-timeline.js';
import { buildFinding, redactStrings } from './finding-builder.js';
import { countSideEffects } from './observer-set.js';
import { OperationBook, whenReady } from './operations.js';
import { contractFor, placementOf } from './request-builder.js';
import type { RunSetup, SetupTransport } from './setup.js';
import { noObserverError } from './side-effects.js';

export interface AttackOutcome {
  kind: 'ran' | 'skipped' | 'inconclusive';
  reason?: string;
}

export interface ContextDeps {
  scenario: ResolvedScenario;
  endpoint: ResolvedEndpoint;
  attack: Attack;
  options: unknown;
  rng: Rng;
  /** Stream for `{{uuid}}` (keys, template values): seed, endpoint, attack and the run's key salt. */
  uuidRng: Rng;
  seed: number;
  engine: HttpEngine;
  /** The parallel lane the attack runs in (its identity at the traffic gate); absent: the engine's own. */
  lane?: Lane;
  /** The run's setup: the endpoints' `per: run` steps, and each operation's own. */
  setup: RunSetup;
  observers: readonly ObserverInstance[];
  signal: AbortSignal;
  /**
   * Aborted when the run's grace period after a stop ends: an observer still counting then is
   * abandoned (InterruptedError), so a stalled database or Redis cannot hold Ctrl-C hostage.
   */
  cutoff?: AbortSignal;
  maxWaitMs?: number;
  /** Under `idem-audit verify`: the checks this attack left on this endpoint in the verified run. */
  deferred?: readonly PendingCheck[];
  /** The run's hooks; each run an attack asks for is kept in its result (and noted). */
  hooks: HookControl;
  reproCommand: string;
  /** The command that re-sends a finding's requests (bursts together), named in its curl reproduction. */
  replayCommand?: (fingerprint: string) => string;
  /** The shell variable each redacted header of a curl reproduction reads. */
  headerVariables?: HeaderVariables;
  /** The run's baseline: what it says of a fingerprint (verdict/baseline.ts). */
  baselineOf?: (fingerprint: string) => FindingBaseline | undefined;
  onFinding: (f: Finding) => void;
}

export class AttackRun {
  readonly exchanges: Exchange[] = [];
  readonly bursts: BurstStat[] = [];
  readonly notes: string[] = [];
  readonly metrics: Record<string, JsonValue> = {};
  readonly findings: Finding[] = [];
  /** Checks the attack left for a later `idem-audit verify`. */
  readonly pending: PendingCheck[] = [];
  /** Hooks run for this attack, in order (restores after it included, added by the loop). */
  readonly hookRuns: HookRun[] = [];
  outcome: AttackOutcome = { kind: 'ran' };
  readonly ctx: AttackContext<unknown>;
  readonly #d: ContextDeps;
  readonly #ops: OperationBook;
  readonly #transport: SetupTransport;

  constructor(d: ContextDeps) {
    this.#d = d;
    const { scenario, endpoint, rng } = d;
    const exchanges = this.exchanges;
    const attackId = d.attack.meta.id;
    const exCtx = { attack: attackId, endpoint: endpoint.name, ...(d.lane ? { lane: d.lane } : {}) };
    // Setup steps are the lane's traffic too: they wait at the traffic gate like its requests.
    this.#transport = { send: (spec, c) => d.engine.sendForCapture(spec, d.lane ? { ...c, lane: d.lane } : c) };
    const ops = new OperationBook({
      scenario,
      endpoint,
      attack: attackId,
      setup: d.setup,
      transport: this.#transport,
      uuid: () => d.uuidRng.uuid(),
    });
    this.#ops = ops;
    const recorded = (ex: Exchange, req: PreparedRequest): Exchange => {
      exchanges.push(ex);
      ops.record(ex, req.operation);
      return ex;
    };

    this.ctx = {
      options: d.options,
      scenario,
      endpoint,
      contract: contractFor(scenario, endpoint),
      keyIn: placementOf(scenario, endpoint),
      rng,
      signal: d.signal,
      newKey: () => ops.newKey(),
      operation: (o) => ops.open(o?.endpoint ?? endpoint.name, o?.principal ?? DEFAULT_PRINCIPAL, undefined),
      request: (o) => ops.prepare(o),
      setUp: async (op) => {
        await ops.values(op);
      },
      send: (req) => whenReady(ops.finish(req), async (spec) => recorded(await d.engine.send(spec, exCtx), req)),
      burst: async (reqs, options) => {
        // Every operation's setup runs before the release, one after the other, never during it.
        const specs = [];
        for (const req of reqs) specs.push(await ops.finish(req));
        const b: BurstResult = await d.engine.burst(specs, exCtx, { ...options, h2c: scenario.target.http2 === true });
        b.exchanges.forEach((ex, i) => {
          const req = reqs[i];
          if (req) ops.record(ex, req.operation);
        });
        exchanges.push(...b.exchanges);
        for (const note of b.notes) if (!this.notes.includes(note)) this.notes.push(note);
        this.bursts.push({
          id: b.id,
          size: specs.length,
          sync: b.sync,
          releaseSpreadMs: b.releaseSpreadMs,
          arrivalSpreadMs: b.arrivalSpreadMs,
          ...(b.quietMs === undefined ? {} : { quietMs: b.quietMs }),
          timeline: burstTimeline(b.exchanges),
        });
        return b;
      },
      sendWithFault: async (req, fault) => {
        const r = await whenReady(ops.finish(req), (spec) => d.engine.sendWithFault(spec, exCtx, fault));
        recorded(r.exchange, req);
        return r;
      },
      exclusive: (work) => d.engine.exclusive(work, d.lane),
      sideEffects: (key, operation) => this.#sideEffects(key, operation),
      hooks: {
        unavailable: d.hooks.unavailable,
        declared: (name) => d.hooks.declared(name),
        run: async (name) => {
          const r = await d.hooks.run(name);
          this.recordHook(r);
          return r;
        },
      },
      sleep: (ms) => sleep(ms, d.signal),
      report: (f) => this.#report(f),
      skip: (reason) => {
        this.outcome = { kind: 'skipped', reason };
      },
      inconclusive: (reason) => {
        this.outcome = { kind: 'inconclusive', reason };
      },
      metric: (name, value) => {
        this.metrics[name] = value;
      },
      note: (text) => {
        this.notes.push(text);
      },
      defer: (check) => this.#defer(check),
    };
    if (d.maxWaitMs !== undefined) this.ctx = { ...this.ctx, maxWaitMs: d.maxWaitMs };
    if (d.deferred !== undefined) {
      // The earlier run's exchanges are evidence for the observers, as if this run had sent them.
      for (const check of d.deferred) exchanges.push(...check.exchanges);
      this.ctx = { ...this.ctx, deferred: d.deferred };
    }
    const downstream = d.observers.find((o) => o.downstream !== undefined)?.downstream;
    if (downstream) this.ctx = { ...this.ctx, downstream };
  }

  recordHook(r: HookRun): void {
    this.hookRuns.push(r);
    this.notes.push(describeHookRun(r));
  }

  async #sideEffects(key: string, operation: Operation | undefined): Promise<SideEffects> {
    const { observers, endpoint } = this.#d;
    if (observers.length === 0) throw noObserverError(endpoint.name);
    const exchanges = this.exchanges.filter((e) => e.key === key);
    // Observers address the key's records with the captures of its operation (`/charges/{{charge_id}}/refunds`).
    const variables = await this.#ops.countValues(key, operation);
    const { counts, ...effects } = await countSideEffects(observers, key, exchanges, variables, (work) =>
      untilCutoff(work, this.#d.cutoff),
    );
    for (const c of counts) this.exchanges.push(...c.evidence);
    return effects;
  }

  /**
   * Only exchanges the engine recorded (so redacted) are kept with a check, and what the attack
   * wrote is redacted like a finding's text: report.json must not learn a secret from a check.
   */
  #defer(check: PendingCheck): void {
    const recorded = new Set(this.exchanges);
    const red = this.#d.engine.redactor;
    const text = (t: string): string => red.text(t);
    this.pending.push({
      id: text(check.id),
      dueAt: check.dueAt,
      description: text(check.description),
      exchanges: check.exchanges.filter((e) => recorded.has(e)),
      data: redactStrings(check.data, text),
    });
  }

  #report(f: FindingReport): void {
    const { attack, endpoint, scenario, seed, reproCommand, replayCommand, headerVariables, baselineOf } = this.#d;
    // Exchanges were redacted when recorded; what attacks and observers wrote about them (a path
    // with its query, a ledger URL, a stored record) is redacted here.
    const red = this.#d.engine.redactor;
    const finding = buildFinding(
      {
        attack: attack.meta,
        scenario: scenario.name,
        endpoint: endpoint.name,
        seed,
        reproCommand,
        redact: (t) => red.text(t),
        ...(replayCommand ? { replayCommand } : {}),
        ...(headerVariables ? { headerVariables } : {}),
        ...(baselineOf ? { baselineOf } : {}),
      },
      // The setup requests of its operations come first: the charge the refunds were sent for.
      { ...f, exchanges: [...this.#ops.setupEvidence(f.exchanges), ...f.exchanges] },
    );
    this.findings.push(finding);
    this.#d.onFinding(finding);
  }
}

/** `work`, or an InterruptedError as soon as `cutoff` is aborted, whichever comes first. */
export function untilCutoff<T>(work: Promise<T>, cutoff: AbortSignal | undefined): Promise<T> {
  if (!cutoff) return work;
  if (cutoff.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new InterruptedError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new InterruptedError());
    cutoff.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        cutoff.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        cutoff.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
