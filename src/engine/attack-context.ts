/**
 * Builds the context an attack runs in: request construction from the endpoint template,
 * sending through the shared engine, side-effect counting through the endpoint's observers,
 * and the collection of findings and outcome.
 */
import type { Attack, AttackContext, FindingReport, SideEffects } from '../attacks/types.js';
import { InterruptedError } from '../errors/errors.js';
import type { Finding } from '../findings/finding.js';
import type { BurstResult, HttpEngine } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import { describeHookRun, type HookControl, type HookRun } from '../hooks/types.js';
import type { ObserverInstance } from '../observers/types.js';
import type { Rng } from '../random/rng.js';
import type { BurstStat } from '../result/result.js';
import type { JsonValue, ResolvedEndpoint, ResolvedScenario } from '../scenario/types.js';
import { burstTimeline } from './burst-timeline.js';
import { buildFinding } from './finding-builder.js';
import { countSideEffects } from './observer-set.js';
import { buildRequest, contractFor, renderKey } from './request-builder.js';
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
  observers: readonly ObserverInstance[];
  signal: AbortSignal;
  /**
   * Aborted when the run's grace period after a stop ends: an observer still counting then is
   * abandoned (InterruptedError), so a stalled database or Redis cannot hold Ctrl-C hostage.
   */
  cutoff?: AbortSignal;
  maxWaitMs?: number;
  /** The run's hooks; each run an attack asks for is kept in its result (and noted). */
  hooks: HookControl;
  reproCommand: string;
  onFinding: (f: Finding) => void;
}

export class AttackRun {
  readonly exchanges: Exchange[] = [];
  readonly bursts: BurstStat[] = [];
  readonly notes: string[] = [];
  readonly metrics: Record<string, JsonValue> = {};
  readonly findings: Finding[] = [];
  /** Hooks run for this attack, in order (restores after it included, added by the loop). */
  readonly hookRuns: HookRun[] = [];
  outcome: AttackOutcome = { kind: 'ran' };
  readonly ctx: AttackContext<unknown>;
  readonly #d: ContextDeps;

  constructor(d: ContextDeps) {
    this.#d = d;
    const { scenario, endpoint, rng } = d;
    const exchanges = this.exchanges;
    const attackId = d.attack.meta.id;
    const exCtx = { attack: attackId, endpoint: endpoint.name };

    this.ctx = {
      options: d.options,
      scenario,
      endpoint,
      contract: contractFor(scenario, endpoint),
      rng,
      signal: d.signal,
      newKey: () => renderKey(endpoint, () => d.uuidRng.uuid()),
      request: (o) => buildRequest(scenario, endpoint, () => d.uuidRng.uuid(), o),
      send: async (spec) => {
        const ex = await d.engine.send(spec, exCtx);
        exchanges.push(ex);
        return ex;
      },
      burst: async (specs, options) => {
        const b: BurstResult = await d.engine.burst(specs, exCtx, { ...options, h2c: scenario.target.http2 === true });
        exchanges.push(...b.exchanges);
        for (const note of b.notes) if (!this.notes.includes(note)) this.notes.push(note);
        this.bursts.push({
          id: b.id,
          size: specs.length,
          sync: b.sync,
          releaseSpreadMs: b.releaseSpreadMs,
          arrivalSpreadMs: b.arrivalSpreadMs,
          timeline: burstTimeline(b.exchanges),
        });
        return b;
      },
      sendWithFault: async (spec, fault) => {
        const r = await d.engine.sendWithFault(spec, exCtx, fault);
        exchanges.push(r.exchange);
        return r;
      },
      sideEffects: (key) => this.#sideEffects(key),
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
    };
    if (d.maxWaitMs !== undefined) this.ctx = { ...this.ctx, maxWaitMs: d.maxWaitMs };
    const downstream = d.observers.find((o) => o.downstream !== undefined)?.downstream;
    if (downstream) this.ctx = { ...this.ctx, downstream };
  }

  recordHook(r: HookRun): void {
    this.hookRuns.push(r);
    this.notes.push(describeHookRun(r));
  }

  async #sideEffects(key: string): Promise<SideEffects> {
    const { observers, endpoint } = this.#d;
    if (observers.length === 0) throw noObserverError(endpoint.name);
    const exchanges = this.exchanges.filter((e) => e.key === key);
    const { counts, ...effects } = await countSideEffects(observers, key, exchanges, (work) =>
      untilCutoff(work, this.#d.cutoff),
    );
    for (const c of counts) this.exchanges.push(...c.evidence);
    return effects;
  }

  #report(f: FindingReport): void {
    const { attack, endpoint, scenario, seed, reproCommand } = this.#d;
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
      },
      f,
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
