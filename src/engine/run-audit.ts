/**
 * The audit loop: for each endpoint × attack, build the context, run the attack, and turn
 * what happened into an AttackResult. A crashed attack or failing observer ends that attack
 * alone; an exhausted budget or an interruption ends the run with a partial result.
 */
import { performance } from 'node:perf_hooks';
import type { Attack } from '../attacks/types.js';
import { IdemAuditError, InterruptedError, ObserverError, RequestBudgetError } from '../errors/errors.js';
import type { Finding } from '../findings/finding.js';
import { SEVERITIES, atLeast, type Severity } from '../findings/severity.js';
import { HttpEngine } from '../http/engine.js';
import { burstStatsBySync } from '../http/sync/stats.js';
import { createRedactor, secretHeaderValues, type Redactor } from '../http/redact.js';
import type { Observer, ObserverInstance } from '../observers/types.js';
import type { ResolvedEndpoint, ResolvedScenario } from '../scenario/types.js';
import { AttackRun, DEFAULT_PRINCIPAL, untilCutoff } from './attack-context.js';
import type { RunEvent } from './events.js';
import { assertReachable } from './preflight.js';
import {
  REPORT_SCHEMA_VERSION,
  type AttackResult,
  type AttackStatus,
  type AuditResult,
  type RunStatus,
} from './result.js';
import { Rng, deriveSeed, randomKeySalt } from './rng.js';
import { DEFAULT_INTERRUPT_GRACE_MS, RunLimits } from './run-limits.js';

export interface AuditOptions {
  scenario: ResolvedScenario;
  attacks: Readonly<Record<string, Attack>>;
  observers: Readonly<Record<string, Observer>>;
  seed: number;
  /**
   * Mixed into every generated key and `{{uuid}}` value (default: random per run, recorded in the
   * result). Pass the recorded salt with the seed to resend exactly the same keys.
   */
  keySalt?: string;
  failOn?: Severity;
  maxRequests?: number;
  /** Longest an attack may wait on the target's clock (ttl-probe); attacks pick their own default. */
  maxWaitMs?: number;
  /** Attack ids to run (default: each endpoint's list). */
  only?: readonly string[];
  skip?: readonly string[];
  endpoints?: readonly string[];
  /** Run only slice `index` (1-based) of `count` of the endpoint × attack matrix. */
  shard?: { index: number; count: number };
  signal?: AbortSignal;
  /** After an interruption, how long requests in flight may still answer (default 2 s). */
  interruptGraceMs?: number;
  /** Whole-run time limit: when reached the run stops like an interruption, status `incomplete`. */
  deadlineMs?: number;
  onEvent?: (e: RunEvent) => void;
  /** Builds the command that reproduces one attack on one endpoint (the seed is appended). */
  reproCommand?: (attack: string, endpoint: string) => string;
  toolVersion?: string;
}

export interface PlannedAttack {
  endpoint: ResolvedEndpoint;
  attack: Attack;
  options: unknown;
}

export function planAudit(
  o: Pick<AuditOptions, 'scenario' | 'attacks' | 'only' | 'skip' | 'endpoints' | 'shard'>,
): PlannedAttack[] {
  const plan: PlannedAttack[] = [];
  for (const endpoint of o.scenario.endpoints) {
    if (o.endpoints && o.endpoints.length > 0 && !o.endpoints.includes(endpoint.name)) continue;
    for (const spec of endpoint.attacks) {
      if (o.only && o.only.length > 0 && !o.only.includes(spec.id)) continue;
      if (o.skip?.includes(spec.id)) continue;
      const attack = o.attacks[spec.id];
      if (!attack) continue; // the loader rejects unknown ids; a programmatic caller may pass a subset
      plan.push({ endpoint, attack, options: spec.options });
    }
  }
  // Round-robin over the full plan: deterministic, balanced, and the shards partition it.
  const shard = o.shard;
  if (shard) return plan.filter((_, i) => i % shard.count === shard.index - 1);
  return plan;
}

export async function runAudit(o: AuditOptions): Promise<AuditResult> {
  const { scenario } = o;
  const started = new Date();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const emit = o.onEvent ?? (() => undefined);
  const controller = new AbortController();
  const failOn = o.failOn ?? scenario.settings.failOn;

  await assertReachable([scenario.target.baseUrl, ...scenario.target.nodes], scenario.target.timeoutMs);

  // `signal` stops new requests; requests in flight are cut only after the grace period.
  const limits = new RunLimits({
    signal: o.signal ? AbortSignal.any([o.signal, controller.signal]) : controller.signal,
    graceMs: o.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS,
    deadlineMs: o.deadlineMs,
  });
  const signal = limits.stop;

  // Exchanges are redacted as they are recorded; free text (notes, reasons, errors) quotes the
  // target and drivers too, so it goes through the same redactor before it reaches a report.
  const redactor = redactorFor(scenario);
  const engine = new HttpEngine({
    timeoutMs: scenario.target.timeoutMs,
    bodyCap: scenario.settings.bodyCap,
    maxRequests: o.maxRequests ?? scenario.settings.maxRequests,
    rate: scenario.settings.rate,
    h2c: scenario.target.http2 === true,
    redactor,
    now,
    onExchange: (exchange) => emit({ type: 'exchange', exchange }),
    signal: limits.inflight,
    stopSignal: signal,
  });

  const plan = planAudit(o);
  const keySalt = o.keySalt ?? randomKeySalt();
  emit({
    type: 'run-start',
    at: started.toISOString(),
    scenario: scenario.name,
    seed: o.seed,
    keySalt,
    attacks: plan.length,
  });

  const results: AttackResult[] = [];
  const findings: Finding[] = [];
  const errors: { code: string; message: string }[] = [];
  let status: RunStatus = 'completed';
  const observerCache = new Map<string, ObserverInstance[]>();

  try {
    for (const item of plan) {
      if (signal.aborted) break;
      const { endpoint, attack } = item;
      emit({ type: 'attack-start', attack: attack.meta.id, endpoint: endpoint.name });
      const before = engine.requestsSent;
      const start = now();
      const endpointObservers = observersFor(endpoint, observerCache, o.observers, scenario, engine);
      const run = new AttackRun({
        scenario,
        endpoint,
        attack,
        options: item.options,
        rng: new Rng(deriveSeed(o.seed, endpoint.name, attack.meta.id)),
        uuidRng: new Rng(deriveSeed(o.seed, endpoint.name, attack.meta.id, 'uuid', keySalt)),
        seed: o.seed,
        engine,
        observers: endpointObservers,
        signal,
        cutoff: limits.inflight,
        ...(o.maxWaitMs === undefined ? {} : { maxWaitMs: o.maxWaitMs }),
        reproCommand: `${o.reproCommand?.(attack.meta.id, endpoint.name) ?? `idem-audit run ${scenario.file} --only ${attack.meta.id} --endpoint ${endpoint.name}`} --seed ${o.seed}`,
        onFinding: (finding) => emit({ type: 'finding', finding }),
      });
      let attackStatus: AttackStatus;
      let reason: string | undefined;
      let stopRun = false;
      try {
        // Observers with something to bring up (a sink the target calls) must be up before the first request.
        for (const ob of endpointObservers) if (ob.start) await untilCutoff(ob.start(), limits.inflight);
        await attack.run(run.ctx);
        if (signal.aborted) throw new InterruptedError();
        attackStatus =
          run.findings.length > 0
            ? 'failed'
            : run.outcome.kind === 'ran'
              ? 'passed'
              : run.outcome.kind === 'skipped'
                ? 'skipped'
                : 'inconclusive';
        reason = run.outcome.reason;
      } catch (err) {
        if (err instanceof InterruptedError || signal.aborted) {
          status = 'interrupted';
          attackStatus = run.findings.length > 0 ? 'failed' : 'inconclusive';
          reason = limits.deadlineReached ? limits.deadlineMessage : 'interrupted before the attack finished';
          stopRun = true;
        } else if (err instanceof RequestBudgetError) {
          status = 'incomplete';
          attackStatus = run.findings.length > 0 ? 'failed' : 'error';
          reason = err.message;
          errors.push({ code: err.code, message: redactor.text(err.message) });
          stopRun = true;
        } else if (err instanceof ObserverError || err instanceof IdemAuditError) {
          attackStatus = run.findings.length > 0 ? 'failed' : 'error';
          reason = err.message;
        } else {
          attackStatus = run.findings.length > 0 ? 'failed' : 'error';
          reason = `IDEM_ATTACK_CRASHED: ${err instanceof Error ? err.message : String(err)}`;
        }
      }
      const result: AttackResult = {
        attack: attack.meta.id,
        endpoint: endpoint.name,
        title: attack.meta.title,
        status: attackStatus,
        notes: run.notes.map((n) => redactor.text(n)),
        requests: engine.requestsSent - before,
        durationMs: Math.round(now() - start),
        findings: run.findings.length,
        bursts: run.bursts,
      };
      if (reason !== undefined) result.reason = redactor.text(reason);
      if (Object.keys(run.metrics).length > 0) result.metrics = run.metrics;
      results.push(result);
      findings.push(...run.findings);
      emit({ type: 'attack-end', result });
      if (stopRun) break;
    }
  } finally {
    limits.dispose();
    await engine.close();
    // Bounded: an observer whose database stopped answering must not keep the report from being written.
    await Promise.all(
      [...observerCache.values()]
        .flat()
        .map((ob) => (ob.close ? closeWithin(ob.close(), OBSERVER_CLOSE_MS) : Promise.resolve())),
    );
  }

  if (status === 'completed' && results.some((r) => r.status === 'error' || r.status === 'inconclusive'))
    status = 'incomplete';
  if (o.signal?.aborted) status = 'interrupted';
  else if (limits.deadlineReached) {
    status = 'incomplete';
    errors.push({ code: 'IDEM_DEADLINE_REACHED', message: limits.deadlineMessage });
  }

  const finished = new Date();
  const result: AuditResult = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'idem-audit', version: o.toolVersion ?? '0.0.0' },
    scenario: { name: scenario.name, file: scenario.file },
    target: { baseUrl: scenario.target.baseUrl, nodes: scenario.target.nodes },
    contract: scenario.contract,
    status,
    seed: o.seed,
    keySalt,
    failOn,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: Math.round(now()),
    requests: engine.requestsSent,
    summary: {
      findings: Object.fromEntries(
        SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length]),
      ) as Record<Severity, number>,
      attacks: {
        passed: count(results, 'passed'),
        failed: count(results, 'failed'),
        skipped: count(results, 'skipped'),
        inconclusive: count(results, 'inconclusive'),
        error: count(results, 'error'),
      },
    },
    attacks: results,
    findings,
    errors,
  };
  const allBursts = results.flatMap((r) => r.bursts);
  if (allBursts.length > 0) result.burstStats = burstStatsBySync(allBursts);
  emit({ type: 'run-end', status, findings: findings.length, requests: engine.requestsSent });
  return result;
}

/** How long closing an observer (a pool, a connection, a sink) may take at the end of a run. */
export const OBSERVER_CLOSE_MS = 3_000;

function closeWithin(closing: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    closing.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

export function redactorFor(scenario: ResolvedScenario): Redactor {
  const rules = { secretHeaders: scenario.settings.secretHeaders, keyHeader: scenario.contract.keyHeader };
  const byHeader = createRedactor({ ...rules, secretValues: [] });
  const sent = [
    scenario.target.headers,
    ...scenario.target.principals.map((p) => p.headers),
    ...scenario.endpoints.map((e) => e.request.headers),
  ];
  return createRedactor({
    ...rules,
    secretValues: [...scenario.secretValues, ...secretHeaderValues(sent, (name) => byHeader.isSecretHeader(name))],
  });
}

function count(results: readonly AttackResult[], s: AttackStatus): number {
  return results.filter((r) => r.status === s).length;
}

function observersFor(
  endpoint: ResolvedEndpoint,
  cache: Map<string, ObserverInstance[]>,
  registry: Readonly<Record<string, Observer>>,
  scenario: ResolvedScenario,
  engine: HttpEngine,
): ObserverInstance[] {
  const cached = cache.get(endpoint.name);
  if (cached) return cached;
  const list = endpoint.observe.map((spec) => {
    const observer = registry[spec.id];
    if (!observer) throw new ObserverError(spec.id, `unknown observer at ${spec.path}`);
    return createOrFailing(() =>
      observer.create(spec.options, {
        scenario,
        endpoint,
        url: (path) => `${scenario.target.baseUrl}${path}`,
        send: (req) =>
          engine.send(
            { ...req, headers: { ...scenario.target.headers, ...req.headers }, principal: DEFAULT_PRINCIPAL },
            { attack: `observe:${spec.id}`, endpoint: endpoint.name },
          ),
      }),
    );
  });
  cache.set(endpoint.name, list);
  return list;
}

/**
 * An observer that cannot be set up (bad listen address, invalid query) must fail the attacks
 * that need its count, reported "not audited" with the reason, rather than end the whole run
 * without a report. Attacks that judge answers alone still run.
 */
function createOrFailing(create: () => ObserverInstance): ObserverInstance {
  try {
    return create();
  } catch (err) {
    if (!(err instanceof ObserverError)) throw err;
    return { count: () => Promise.reject(err) };
  }
}

/** Exit code of a finished audit: 1 findings at or above failOn, 130 interrupted, 3 not fully audited, 0 clean. */
export function exitCodeOf(result: AuditResult): number {
  if (result.status === 'interrupted') return 130;
  if (result.findings.some((f) => atLeast(f.severity, result.failOn))) return 1;
  if (result.status === 'incomplete') return 3;
  return 0;
}
