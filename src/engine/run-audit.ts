/**
 * The audit loop: for each planned endpoint × attack, build the context, run the attack, and turn
 * what happened into an AttackResult. A crashed attack or failing observer ends that attack
 * alone; an exhausted budget or an interruption ends the run with a partial result; a target that
 * cannot be reached ends it before the first request, with a result that says so. What the run
 * concluded (statuses, summary) is decided by verdict/.
 */
import { performance } from 'node:perf_hooks';
import { IdemAuditError, InterruptedError, RequestBudgetError, TargetUnreachableError } from '../errors/errors.js';
import type { Finding } from '../findings/finding.js';
import { HttpEngine } from '../http/engine.js';
import { HookRunner } from '../hooks/runner.js';
import { describeHookRun, type HookControl, type HookRun } from '../hooks/types.js';
import { burstStatsBySync } from '../http/sync/stats.js';
import { createRedactor, secretHeaderValues, type Redactor } from '../http/redact.js';
import type { ObserverInstance } from '../observers/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import {
  attackStatusOf,
  nothingAuditedReason,
  runStatusOf,
  summarize,
  type AttackEnd,
  type RunStop,
} from '../verdict/verdict.js';
import { AttackRun, untilCutoff } from './attack-context.js';
import { createObservers } from './observer-set.js';
import type { RunEvent } from '../result/events.js';
import { assertReachable } from './preflight.js';
import { prepareRun, type HookPlan, type Registries, type RunPlan, type RunRequest } from './prepare-run.js';
import { REPORT_SCHEMA_VERSION, type AttackResult, type AuditResult, type RunError } from '../result/result.js';
import { Rng, deriveSeed } from '../random/rng.js';
import { DEFAULT_INTERRUPT_GRACE_MS, RunLimits } from './run-limits.js';

export {
  planCells,
  prepareRun,
  type PlannedAttack,
  type Registries,
  type RunPlan,
  type RunRequest,
} from './prepare-run.js';

/** Hooks of one execution: how the caller watches and stops it. */
export interface RunHooks {
  signal?: AbortSignal;
  /** After an interruption, how long requests in flight may still answer (default 2 s). */
  interruptGraceMs?: number;
  onEvent?: (e: RunEvent) => void;
  /** Builds the command that reproduces one attack on one endpoint (the seed is appended). */
  reproCommand?: (attack: string, endpoint: string) => string;
  toolVersion?: string;
}

/** {@link runAudit}'s options: the scenario, the registries, what to run and how to watch it. */
export interface AuditOptions extends RunRequest, RunHooks, Registries {
  scenario: ResolvedScenario;
}

/** Prepares (checks, guards) and executes a run in one call: the programmatic core of `run`. */
export function runAudit(o: AuditOptions): Promise<AuditResult> {
  return executePlan(prepareRun(o.scenario, o, { attacks: o.attacks, observers: o.observers }), o);
}

export async function executePlan(plan: RunPlan, o: RunHooks = {}): Promise<AuditResult> {
  const { scenario, seed, keySalt, cells } = plan;
  const started = new Date();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const emit = o.onEvent ?? (() => undefined);
  // Exchanges are redacted as they are recorded; free text (notes, reasons, errors) quotes the
  // target and drivers too, so it goes through the same redactor before it reaches a report.
  const redactor = redactorFor(scenario);
  emit({ type: 'run-start', at: started.toISOString(), scenario: scenario.name, seed, keySalt, attacks: cells.length });

  const results: AttackResult[] = [];
  const findings: Finding[] = [];
  const errors: RunError[] = [];
  const restores: HookRun[] = [];
  let stop: RunStop;
  let requests = 0;
  const { control: hooks, runner: hookRunner } = hooksFor(plan.hooks, (t) => redactor.text(t));

  try {
    await assertReachable(
      [scenario.target.baseUrl, ...scenario.target.nodes],
      scenario.target.timeoutMs,
      plan.hostPolicy,
    );
  } catch (err) {
    if (!(err instanceof TargetUnreachableError)) throw err;
    // Still a result: CI gets report.json, junit.xml and the summary saying which URL and why.
    stop = 'cut-short';
    errors.push({ code: err.code, message: redactor.text(err.message), ...(err.hint ? { hint: err.hint } : {}) });
    for (const { endpoint, attack } of cells)
      results.push(notRun(endpoint.name, attack.meta.id, attack.meta.title, redactor.text(`not run: ${err.message}`)));
  }

  if (stop === undefined) {
    const limits = new RunLimits({
      signal: o.signal,
      graceMs: o.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS,
      deadlineMs: plan.deadlineMs,
    });
    // `stop` ends sending at once; requests in flight are cut only after the grace period.
    const signal = limits.stop;
    const engine = new HttpEngine({
      hostPolicy: plan.hostPolicy,
      timeoutMs: scenario.target.timeoutMs,
      bodyCap: scenario.settings.bodyCap,
      maxRequests: plan.maxRequests,
      rate: scenario.settings.rate,
      h2c: scenario.target.http2 === true,
      ...(scenario.target.arrivalHeader ? { arrivalHeader: scenario.target.arrivalHeader } : {}),
      redactor,
      now,
      onExchange: (exchange) => emit({ type: 'exchange', exchange }),
      signal: limits.inflight,
      stopSignal: signal,
    });
    const observerCache = new Map<string, ObserverInstance[]>();
    // A process that exits in the middle (a second Ctrl-C) still brings the store and the target back.
    const restoreOnExit = (): void => {
      hookRunner?.restoreSync();
    };
    if (hookRunner) process.on('exit', restoreOnExit);
    try {
      for (const { endpoint, attack, options } of cells) {
        if (signal.aborted) break;
        emit({ type: 'attack-start', attack: attack.meta.id, endpoint: endpoint.name });
        const before = engine.requestsSent;
        const start = now();
        let endpointObservers = observerCache.get(endpoint.name);
        if (!endpointObservers) {
          endpointObservers = createObservers(endpoint, plan.registries.observers, scenario, engine);
          observerCache.set(endpoint.name, endpointObservers);
        }
        const run = new AttackRun({
          scenario,
          endpoint,
          attack,
          options,
          rng: new Rng(deriveSeed(seed, endpoint.name, attack.meta.id)),
          uuidRng: new Rng(deriveSeed(seed, endpoint.name, attack.meta.id, 'uuid', keySalt)),
          seed,
          engine,
          observers: endpointObservers,
          signal,
          cutoff: limits.inflight,
          ...(plan.maxWaitMs === undefined ? {} : { maxWaitMs: plan.maxWaitMs }),
          hooks,
          reproCommand: `${o.reproCommand?.(attack.meta.id, endpoint.name) ?? `idem-audit run ${scenario.file} --only ${attack.meta.id} --endpoint ${endpoint.name}`} --seed ${seed}`,
          onFinding: (finding) => emit({ type: 'finding', finding }),
        });
        let end: AttackEnd;
        let reason: string | undefined;
        try {
          // Observers with something to bring up (a sink the target calls) must be up before the first request.
          for (const ob of endpointObservers) if (ob.start) await untilCutoff(ob.start(), limits.inflight);
          await attack.run(run.ctx);
          if (signal.aborted) throw new InterruptedError();
          end = run.outcome.kind;
          reason = run.outcome.reason;
        } catch (err) {
          if (err instanceof InterruptedError || signal.aborted) {
            end = 'interrupted';
            stop = limits.deadlineReached ? 'cut-short' : 'interrupt';
            reason = limits.deadlineReached ? limits.deadlineMessage : 'interrupted before the attack finished';
          } else if (err instanceof RequestBudgetError) {
            end = 'error';
            stop = 'cut-short';
            reason = err.message;
            errors.push({ code: err.code, message: redactor.text(err.message) });
          } else if (err instanceof IdemAuditError) {
            end = 'error';
            reason = err.message;
          } else {
            end = 'error';
            reason = `IDEM_ATTACK_CRASHED: ${err instanceof Error ? err.message : String(err)}`;
          }
        }
        // Whatever ended the attack, what its hooks broke is brought back before the next one.
        if (hookRunner && hookRunner.pending().length > 0)
          for (const r of await hookRunner.restore()) run.recordHook(r);
        const result: AttackResult = {
          attack: attack.meta.id,
          endpoint: endpoint.name,
          title: attack.meta.title,
          status: attackStatusOf(end, run.findings.length),
          notes: run.notes.map((n) => redactor.text(n)),
          requests: engine.requestsSent - before,
          durationMs: Math.round(now() - start),
          findings: run.findings.length,
          bursts: run.bursts,
        };
        if (reason !== undefined) result.reason = redactor.text(reason);
        if (Object.keys(run.metrics).length > 0) result.metrics = run.metrics;
        if (run.hookRuns.length > 0) result.hooks = run.hookRuns;
        results.push(result);
        findings.push(...run.findings);
        emit({ type: 'attack-end', result });
        if (stop !== undefined) break;
      }
    } finally {
      limits.dispose();
      // An attack that threw past its own handling (or a stop) may have left the store down or the target dead.
      if (hookRunner && hookRunner.pending().length > 0) restores.push(...(await hookRunner.restore()));
      if (hookRunner) process.off('exit', restoreOnExit);
      requests = engine.requestsSent;
      await engine.close();
      // Bounded: an observer whose database stopped answering must not keep the report from being written.
      await Promise.all(
        [...observerCache.values()]
          .flat()
          .map((ob) => (ob.close ? closeWithin(ob.close(), OBSERVER_CLOSE_MS) : Promise.resolve())),
      );
    }
    // The user's stop wins over a deadline that happened to pass during the grace period.
    if (o.signal?.aborted) stop = 'interrupt';
    else if (limits.deadlineReached) {
      stop = 'cut-short';
      errors.push({ code: 'IDEM_DEADLINE_REACHED', message: limits.deadlineMessage });
    }
  }

  const unrestored = hookRunner?.pending() ?? [];
  if (unrestored.length > 0) {
    // The audit may be fine, but the system it leaves behind is not: never a clean exit.
    stop ??= 'cut-short';
    const failed = [...results.flatMap((r) => r.hooks ?? []), ...restores].filter(
      (r) => !r.ok && unrestored.includes(r.hook as 'storeUp' | 'restart'),
    );
    errors.push({
      code: 'IDEM_HOOK_FAILED',
      message: `could not restore the system after the hooks: ${unrestored.join(' and ')} did not succeed${failed.length > 0 ? ` (${failed.map(describeHookRun).join('; ')})` : ''}; the key store may still be down or the target stopped`,
      hint: `bring it back by hand (the ${unrestored.join('/')} hook commands are in the scenario), then check the hooks with a dry run of them`,
    });
  }
  const status = runStatusOf(results, stop);
  // A run that judged nothing proves nothing; say so instead of looking green.
  const nothing = stop === undefined ? nothingAuditedReason(results) : undefined;
  if (nothing !== undefined) errors.push({ code: 'IDEM_NOTHING_AUDITED', message: redactor.text(nothing) });

  const result: AuditResult = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'idem-audit', version: o.toolVersion ?? '0.0.0' },
    scenario: { name: scenario.name, file: scenario.file },
    target: { baseUrl: scenario.target.baseUrl, nodes: scenario.target.nodes },
    contract: scenario.contract,
    status,
    seed,
    keySalt,
    failOn: plan.failOn,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(now()),
    requests,
    summary: summarize(results, findings),
    attacks: results,
    findings,
    errors,
  };
  if (plan.shard) result.shard = { ...plan.shard };
  if (restores.length > 0) result.hooks = restores;
  const allBursts = results.flatMap((r) => r.bursts);
  if (allBursts.length > 0) result.burstStats = burstStatsBySync(allBursts);
  emit({ type: 'run-end', status, findings: findings.length, requests });
  return result;
}

/**
 * The hooks as attacks see them: declared ones run through one runner (which remembers what they
 * broke), or, without consent, nothing runs and every run says why.
 */
function hooksFor(
  plan: HookPlan,
  redact: (text: string) => string,
): { control: HookControl; runner: HookRunner | undefined } {
  const declared = Object.keys(plan.specs).length > 0;
  const runner = plan.unavailable === undefined && declared ? new HookRunner({ specs: plan.specs, redact }) : undefined;
  const refused = (name: HookRun['hook']): HookRun => ({
    hook: name,
    command: '(not run)',
    ok: false,
    exitCode: null,
    signal: null,
    timedOut: false,
    error: plan.unavailable ?? `the scenario declares no ${name} hook`,
    durationMs: 0,
    output: '',
    outputBytes: 0,
    purpose: 'attack',
  });
  return {
    runner,
    control: {
      unavailable: plan.unavailable,
      declared: (name) => plan.specs[name] !== undefined,
      run: (name) => (runner ? runner.run(name) : Promise.resolve(refused(name))),
    },
  };
}

function notRun(endpoint: string, attack: string, title: string, reason: string): AttackResult {
  return {
    attack,
    endpoint,
    title,
    status: 'error',
    reason,
    notes: [],
    requests: 0,
    durationMs: 0,
    findings: 0,
    bursts: [],
  };
}

/** How long closing an observer (a pool, a connection, a sink) may take at the end of a run. */
export const OBSERVER_CLOSE_MS = 3_000;

export function closeWithin(closing: Promise<void>, ms: number): Promise<void> {
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
