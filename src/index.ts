/**
 * The programmatic API. Everything else in the package is internal; the demo target, a stand-in
 * API for trying idem-audit, has its own entry (`idem-audit/demo`) and is no part of this API.
 */
/** Load a scenario and audit it with the built-in registries. */
export { audit, loadScenario, type AuditApiOptions } from './api.js';
/** The built-in attacks by id, and the ids that run when an endpoint names none. */
export { attacks, DEFAULT_SUITE } from './attacks/index.js';
/** The attack extension point: metadata plus `run(ctx)`. */
export type {
  Attack,
  AttackContext,
  AttackMeta,
  Operation,
  PreparedRequest,
  RequestOverrides,
} from './attacks/types.js';
/** The scenario's hooks as an attack reaches them (`ctx.hooks`), and what one run of a hook came to. */
export type { HookControl, HookName, HookRun } from './hooks/types.js';
/** The audit with explicit registries (`audit()` wraps it): preparation (checks, host policy, plan) and execution. */
export { runAudit, executePlan, type AuditOptions, type RunHooks } from './engine/run-audit.js';
export { prepareRun, planCells, type RunPlan, type RunRequest, type Registries } from './engine/prepare-run.js';
/** The exit-code table and the verdict rules every command and report shares. */
export { EXIT, exitCodeOf, exitCodeForError, type ExitCode } from './verdict/exit-codes.js';
export { failsRun, failingFindings } from './verdict/verdict.js';
/** Baselines (`--baseline`): parse a baseline file or report.json for RunRequest.baseline, or make one from a result. */
export { parseBaseline, baselineOf, type Baseline, type BaselineEntry, type BaselineFile } from './verdict/baseline.js';
/** The result of a run: what every report is rendered from. */
export type { AuditResult, AttackResult, AttackStatus, RunStatus } from './result/result.js';
/** One event of the live stream (`onEvent`, `events.ndjson`). */
export type { RunEvent } from './result/events.js';
/** Error classes with stable codes (`IDEM_SCENARIO_INVALID`, `IDEM_TARGET_UNREACHABLE`, …). */
export * from './errors/errors.js';
/** One broken promise, with its evidence and reproduction. */
export type { Finding, FindingBaseline, ShellVariable } from './findings/finding.js';
/** `info` … `critical`. */
export type { Severity } from './scenario/severity.js';
/** One recorded (and redacted) request with its response or transport error. */
export type { Exchange } from './http/exchange.js';
/** The built-in side-effect observers by id. */
export { observers } from './observers/index.js';
/** The observer extension point. */
export type { Observer } from './observers/types.js';
/** The built-in reporters by id: `meta` and `create(ctx)` lifecycle hooks; result-shaped formats also `render(result, ctx)` to text. */
export { reporters } from './reporters/index.js';
/** A loaded scenario: profile applied, environment interpolated, defaults filled. */
export type { ResolvedScenario } from './scenario/types.js';
