/**
 * The audit loop: for each planned endpoint × attack, build the context, run the attack, and turn
 * what happened into an AttackResult. A crashed attack or failing observer ends that attack
 * alone; an exhausted budget or an interruption ends the run with a partial result; a target that
 * cannot be reached ends it before the first request, with a result that says so. What the run
 * concluded (statuses, summary) is decided by verdict/.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { IdemAuditError, InterruptedError, RequestBudgetError, TargetUnreachableError } from '../errors/errors.js';
import type { Finding } from '../findings/finding.js';
import { headerVariables } from '../findings/shell-variables.js';
import { HttpEngine } from '../http/engine.js';
import { Lane } from '../http/lane.js';
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
import { baselineMatcher, utcDay } from '../verdict/baseline.js';
import { AttackRun, untilCutoff, type ContextDeps } from './attack-context.js';
import { createObservers } from './observer-set.js';
import type { RunEvent } from '../result/events.js';
import { assertReachable } from './preflight.js';
import { laneGroups, runLanes, splitDisruptive, type LaneCell } from './lanes.js';
import {
  prepareRun,
  type HookPlan,
  type PlannedAttack,
  type Registries,
  type RunPlan,
  type RunRequest,
} from './prepare-run.js';
import { DEFAULT_TEARDOWN_MS, RunSetup, type Captured, type SetupTransport, type TeardownOutcome } from './setup.js';
import { renderTemplate, templateVariables } from '../scenario/template.js';
import {
  REPORT_SCHEMA_VERSION,
  type AttackResult,
  type AuditResult,
  type EndpointLocation,
  type RunError,
} from '../result/result.js';
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
  /** Builds the command that re-sends one finding's requests from the report (default: `idem-audit replay report.json --finding F`). */
  replayCommand?: (fingerprint: string) => string;
  toolVersion?: string;
  /** How long the scenario's teardown may take after the audit, also after a stop (default 30 s). */
  teardownMs?: number;
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
  const headerVars = headerVariables(scenario);
  const replayCommand = o.replayCommand ?? ((fp: string) => `idem-audit replay report.json --finding ${fp}`);
  // Judged once, on the day the run started, so one run never changes its mind at midnight.
  const baselineOf = plan.baseline ? baselineMatcher(plan.baseline, utcDay(started)) : undefined;
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
      // `stop` ends sending at once; requests in flight are cut only after the grace period.
      signal: limits.inflight,
      stopSignal: limits.stop,
    });
    // Observers live per endpoint, and an endpoint's attacks all run in one lane.
    const observerCache = new Map<string, ObserverInstance[]>();
    const setup = new RunSetup({
      scenario,
      uuid: (...parts) => {
        const rng = new Rng(deriveSeed(seed, 'setup', ...parts, keySalt));
        return () => rng.uuid();
      },
      secret: (value) => redactor.addSecretValues([value]),
      isSecretHeader: (name) => redactor.isSecretHeader(name),
    });
    let targetHeaders = scenario.target.headers;
    let setupFailed = false;
    // Attacks that crash the target or take its store away run last, one at a time, once every
    // lane is done: a restart wipes what other endpoints' attacks had in flight or in memory.
    const { calm: groups, disruptive } = splitDisruptive(
      laneGroups(cells, {
        concurrency: plan.concurrency,
        observers: plan.registries.observers,
        maxWaitMs: plan.maxWaitMs,
        scenario,
      }),
    );
    const laneCount = Math.max(1, Math.min(plan.concurrency, groups.length));
    // One listener per lane on each run signal, besides the run's own few (set first: Node warns
    // as the eleventh is added).
    setMaxListeners(laneCount + 10, limits.stop, limits.inflight);
    const lanes = Array.from({ length: laneCount }, (_, i) => Lane.following(i + 1, limits.stop, limits.inflight));
    // Lanes finish in any order; the result keeps the plan's.
    const byPlan: (CellOutcome | undefined)[] = cells.map(() => undefined);
    const cellOf = (lane: Lane, { index, cell }: LaneCell): Promise<void> =>
      runCell(cell, {
        plan,
        engine,
        lane,
        limits,
        redactor,
        now,
        emit,
        setup,
        hooks,
        hookRunner,
        observers: () => {
          let endpointObservers = observerCache.get(cell.endpoint.name);
          if (!endpointObservers) {
            endpointObservers = createObservers(cell.endpoint, plan.registries.observers, scenario, engine, {
              lane,
              targetHeaders,
            });
            observerCache.set(cell.endpoint.name, endpointObservers);
          }
          return endpointObservers;
        },
        reproCommand: `${o.reproCommand?.(cell.attack.meta.id, cell.endpoint.name) ?? `idem-audit run ${scenario.file} --only ${cell.attack.meta.id} --endpoint ${cell.endpoint.name}`} --seed ${seed}`,
        findingExtras: { replayCommand, headerVariables: headerVars, ...(baselineOf ? { baselineOf } : {}) },
      }).then((ran) => {
        byPlan[index] = ran;
        if (ran.stop !== undefined) stop ??= ran.stop;
        if (ran.error && !errors.some((e) => e.code === ran.error?.code && e.message === ran.error.message))
          errors.push(ran.error);
      });
    // A stop (interruption, deadline, exhausted budget) starts nothing new; what runs finishes.
    const going = (): boolean => stop === undefined && !limits.stop.aborted;
    // A process that exits in the middle (a second Ctrl-C) still brings the store and the target back.
    const restoreOnExit = (): void => {
      hookRunner?.restoreSync();
    };
    if (hookRunner) process.on('exit', restoreOnExit);
    try {
      // The scenario's setup comes before every attack: without it, nothing can be audited.
      try {
        targetHeaders = capturedHeaders(
          scenario.target.headers,
          await setup.scenario({ send: (spec, c) => engine.sendForCapture(spec, c) }),
        );
      } catch (err) {
        if (!(err instanceof IdemAuditError)) throw err;
        setupFailed = true;
        if (err instanceof InterruptedError || limits.stop.aborted)
          stop = limits.deadlineReached ? 'cut-short' : 'interrupt';
        else {
          stop = 'cut-short';
          errors.push({ code: err.code, message: redactor.text(err.message), ...(err.hint ? { hint: err.hint } : {}) });
        }
        for (const { endpoint, attack } of cells)
          results.push(
            notRun(endpoint.name, attack.meta.id, attack.meta.title, redactor.text(`not run: ${err.message}`)),
          );
      }
      await runLanes(
        setupFailed ? [] : groups,
        lanes.length,
        async (group, laneId) => {
          const lane = lanes[laneId - 1] as Lane;
          try {
            for (const c of group.cells) {
              if (!going()) return;
              await cellOf(lane, c);
            }
          } catch (err) {
            // idem-audit itself failed: the other lanes stop sending rather than run on unreported.
            limits.abort();
            throw err;
          }
        },
        going,
      );
      const alone = lanes[0] as Lane;
      for (const c of setupFailed ? [] : disruptive) {
        if (!going()) break;
        await cellOf(alone, c);
      }
    } finally {
      for (const lane of lanes) lane.dispose();
      limits.dispose();
      // An attack that threw past its own handling (or a stop) may have left the store down or the target dead.
      if (hookRunner && hookRunner.pending().length > 0) restores.push(...(await hookRunner.restore()));
      if (hookRunner) process.off('exit', restoreOnExit);
      requests = engine.requestsSent;
      await engine.close();
      // After the audit and after a stop alike, within its own time budget.
      const teardown = await runTeardown(setup, {
        plan,
        redactor,
        now,
        emit,
        firstExchangeId: engine.nextExchangeId,
        budgetMs: o.teardownMs ?? DEFAULT_TEARDOWN_MS,
      });
      requests += teardown.sent;
      if (teardown.problems.length > 0) errors.push(teardownWarning(teardown.problems, redactor));
      // Bounded: an observer whose database stopped answering must not keep the report from being written.
      await Promise.all(
        [...observerCache.values()]
          .flat()
          .map((ob) => (ob.close ? closeWithin(ob.close(), OBSERVER_CLOSE_MS) : Promise.resolve())),
      );
    }
    for (const ran of byPlan) {
      if (!ran) continue;
      results.push(ran.result);
      findings.push(...ran.findings);
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
    scenario: { name: scenario.name, file: scenario.file, ...endpointLocations(scenario) },
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
  if (plan.baseline)
    result.baseline = {
      ...(plan.baseline.file === undefined ? {} : { file: plan.baseline.file }),
      entries: plan.baseline.entries.length,
    };
  if (restores.length > 0) result.hooks = restores;
  const allBursts = results.flatMap((r) => r.bursts);
  if (allBursts.length > 0) result.burstStats = burstStatsBySync(allBursts);
  emit({ type: 'run-end', status, findings: findings.length, requests });
  return result;
}

interface CellDeps {
  plan: RunPlan;
  engine: HttpEngine;
  lane: Lane;
  limits: RunLimits;
  redactor: Redactor;
  now: () => number;
  emit: (e: RunEvent) => void;
  /** The run's setup: the endpoints' `per: run` steps, and each operation's own. */
  setup: RunSetup;
  /** The run's hooks as attacks reach them, and the runner that restores what they broke. */
  hooks: HookControl;
  hookRunner: HookRunner | undefined;
  /** The endpoint's observers, created on first use. */
  observers: () => ObserverInstance[];
  reproCommand: string;
  /** What every finding of the run carries besides its own: the replay command, shell variables, the baseline. */
  findingExtras: Pick<ContextDeps, 'replayCommand' | 'headerVariables' | 'baselineOf'>;
}

interface CellOutcome {
  result: AttackResult;
  findings: readonly Finding[];
  /** Why the run must start nothing more, if this cell says so. */
  stop?: RunStop;
  error?: RunError;
}

/**
 * One endpoint × attack: its context, the attack, and what came of it. A crashed attack or a
 * failing observer ends this attack alone; an interruption or an exhausted budget also asks the
 * run to start nothing more.
 */
async function runCell({ endpoint, attack, options, deferred }: PlannedAttack, d: CellDeps): Promise<CellOutcome> {
  const { plan, engine, lane, limits, redactor, now } = d;
  const { scenario, seed, keySalt } = plan;
  d.emit({ type: 'attack-start', attack: attack.meta.id, endpoint: endpoint.name, lane: lane.id });
  const before = lane.requests;
  const start = now();
  const observers = d.observers();
  const run = new AttackRun({
    scenario,
    endpoint,
    attack,
    options,
    rng: new Rng(deriveSeed(seed, endpoint.name, attack.meta.id)),
    uuidRng: new Rng(deriveSeed(seed, endpoint.name, attack.meta.id, 'uuid', keySalt)),
    seed,
    engine,
    lane,
    setup: d.setup,
    observers,
    hooks: d.hooks,
    signal: lane.stop ?? limits.stop,
    cutoff: lane.inflight ?? limits.inflight,
    ...(plan.maxWaitMs === undefined ? {} : { maxWaitMs: plan.maxWaitMs }),
    ...(deferred === undefined ? {} : { deferred }),
    reproCommand: d.reproCommand,
    ...d.findingExtras,
    onFinding: (finding) => d.emit({ type: 'finding', finding }),
  });
  const signal = limits.stop;
  let end: AttackEnd;
  let reason: string | undefined;
  let stop: RunStop;
  let error: RunError | undefined;
  try {
    // Observers with something to bring up (a sink the target calls) must be up before the first request.
    for (const ob of observers) if (ob.start) await untilCutoff(ob.start(), lane.inflight);
    // The endpoint's `per: run` setup, once; a failure makes each of its attacks not audited, with the answer.
    const transport: SetupTransport = { send: (spec, c) => engine.sendForCapture(spec, { ...c, lane }) };
    await d.setup.endpoint(endpoint, transport, attack.meta.id);
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
      error = { code: err.code, message: redactor.text(err.message) };
    } else if (err instanceof IdemAuditError) {
      end = 'error';
      reason = err.message;
    } else {
      end = 'error';
      reason = `IDEM_ATTACK_CRASHED: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  // Whatever ended the attack, what its hooks broke is brought back before the next one.
  if (d.hookRunner && d.hookRunner.pending().length > 0)
    for (const r of await d.hookRunner.restore()) run.recordHook(r);
  const result: AttackResult = {
    attack: attack.meta.id,
    endpoint: endpoint.name,
    title: attack.meta.title,
    status: attackStatusOf(end, run.findings.length),
    notes: run.notes.map((n) => redactor.text(n)),
    requests: lane.requests - before,
    durationMs: Math.round(now() - start),
    findings: run.findings.length,
    bursts: run.bursts,
  };
  if (reason !== undefined) result.reason = redactor.text(reason);
  if (Object.keys(run.metrics).length > 0) result.metrics = run.metrics;
  if (run.hookRuns.length > 0) result.hooks = run.hookRuns;
  // Under verify, an empty list says every check handed in was judged or dropped.
  if (run.pending.length > 0 || deferred !== undefined) result.pending = run.pending;
  d.emit({ type: 'attack-end', result });
  return { result, findings: run.findings, ...(stop === undefined ? {} : { stop }), ...(error ? { error } : {}) };
}

/**
 * The teardown steps due, on an engine of their own: the run's may be stopped or out of budget,
 * and clean-up must still go out. It is bounded instead by its own time budget (which also cuts
 * each request short) and by the exact number of requests due; its exchanges go on the run's
 * record, numbered after the run's.
 */
async function runTeardown(
  setup: RunSetup,
  o: {
    plan: RunPlan;
    redactor: Redactor;
    now: () => number;
    emit: (e: RunEvent) => void;
    firstExchangeId: number;
    budgetMs: number;
  },
): Promise<TeardownOutcome> {
  const due = setup.teardownsDue();
  if (due === 0) return { sent: 0, problems: [] };
  const { scenario } = o.plan;
  const deadline = AbortSignal.timeout(o.budgetMs);
  const engine = new HttpEngine({
    hostPolicy: o.plan.hostPolicy,
    timeoutMs: Math.min(scenario.target.timeoutMs, o.budgetMs),
    bodyCap: scenario.settings.bodyCap,
    maxRequests: due,
    rate: scenario.settings.rate,
    h2c: scenario.target.http2 === true,
    redactor: o.redactor,
    now: o.now,
    onExchange: (exchange) => o.emit({ type: 'exchange', exchange }),
    signal: deadline,
    firstExchangeId: o.firstExchangeId,
  });
  try {
    return await setup.teardown({ send: (spec, c) => engine.sendForCapture(spec, c) }, o.now() + o.budgetMs, o.now);
  } finally {
    await engine.close();
  }
}

/** A warning, not a failure: clean-up that did not happen leaves resources behind, it does not change a verdict. */
function teardownWarning(problems: readonly string[], redactor: Redactor): RunError {
  const shown = problems.slice(0, 5);
  return {
    code: 'IDEM_TEARDOWN_FAILED',
    message: redactor.text(
      `teardown did not complete: ${shown.join('; ')}${problems.length > shown.length ? `; and ${problems.length - shown.length} more` : ''}`,
    ),
    hint: 'Clean up what the scenario’s setup created by hand; check the teardown steps against the target.',
  };
}

/** The target's headers as observer queries send them: captures rendered, those whose capture is missing left out. */
function capturedHeaders(headers: Readonly<Record<string, string>>, values: Captured): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (templateVariables(v).some((n) => n !== 'uuid' && !(n in values))) continue;
    out[k] = renderTemplate(v, values);
  }
  return out;
}

function endpointLocations(scenario: ResolvedScenario): { endpoints?: EndpointLocation[] } {
  const located = scenario.endpoints.flatMap((e) => (e.position ? [{ name: e.name, ...e.position }] : []));
  return located.length > 0 ? { endpoints: located } : {};
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
  // Keys are evidence, not secrets, wherever they travel (`X-Idempotency-Token`, an `idempotency_token` field).
  const keyNames = scenario.endpoints.flatMap((e) =>
    e.keyIn === undefined ? [] : [e.keyIn.in === 'body' ? (e.keyIn.path.at(-1) ?? '') : e.keyIn.name],
  );
  const rules = { secretHeaders: scenario.settings.secretHeaders, keyHeader: scenario.contract.keyHeader, keyNames };
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
