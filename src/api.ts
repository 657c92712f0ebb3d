/**
 * The programmatic entry points: the same loader, run preparation and audit loop the CLI uses,
 * with the built-in registries, so a test suite can audit its own API and assert on the very
 * result the reports are rendered from.
 */
import { attacks as builtinAttacks } from './attacks/index.js';
import { extensionSchemas } from './engine/extension-schemas.js';
import { packageVersion } from './package-info.js';
import { loadScenario as loadWithSchemas } from './config/index.js';
import type { RunEvent } from './result/events.js';
import type { AuditResult } from './result/result.js';
import { runAudit } from './engine/run-audit.js';
import type { Severity } from './scenario/severity.js';
import { observers as builtinObservers } from './observers/index.js';
import type { ResolvedScenario } from './scenario/types.js';

/** Options of {@link audit}. Every field is optional; the scenario's own settings apply otherwise. */
export interface AuditApiOptions {
  /** Seed for generated bodies, mutations and keys; the scenario's `settings.seed`, else random. Pass one to make a test reproducible. */
  seed?: number;
  /**
   * Salt of generated keys (default: fresh per run, so a target that remembers earlier keys still
   * sees first-time requests). Pass a result's `keySalt` with its seed to resend the same keys.
   */
  keySalt?: string;
  /** Run only these attack ids (as `--only`). */
  only?: readonly string[];
  /** Skip these attack ids (as `--skip`). */
  skip?: readonly string[];
  /** Audit only these endpoints, by name (as `--endpoint`). */
  endpoints?: readonly string[];
  /** Severity from which {@link exitCodeOf} reports failure; defaults to the scenario's `settings.failOn`. */
  failOn?: Severity;
  /** A hard request budget for the run; defaults to the scenario's `settings.maxRequests`. */
  maxRequests?: number;
  /** Requests per second outside bursts (as `--rate`); defaults to the scenario's `settings.rate`. */
  rate?: number;
  /** Whole-run time limit in ms (as `--deadline`): the run then stops with status `incomplete`. */
  deadlineMs?: number;
  /**
   * Endpoints audited at once, in parallel lanes (as `--concurrency`); defaults to the scenario's
   * `settings.concurrency`, else 8. 1 audits them one after another in the scenario's order.
   */
  concurrency?: number;
  /** Consent to audit a target that declares `environment: production` (as `--allow-production`). */
  allowProduction?: boolean;
  /**
   * Consent to run the scenario's `hooks` (as `--allow-hooks`): commands that crash and restart the
   * target or stop its key store. What they break is restored when the run ends, however it ends.
   */
  allowHooks?: boolean;
  /** Aborting it ends the run early with status `interrupted` and a partial result. */
  signal?: AbortSignal;
  /** Receives every run event as it happens (the same stream as `events.ndjson`). */
  onEvent?: (event: RunEvent) => void;
  /**
   * Environment for `${VAR}` interpolation when a path is given, and for IDEM_AUDIT_ALLOW_HOSTS;
   * defaults to `process.env`.
   */
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads and validates a scenario file with the built-in attacks and observers: interpolates
 * `${VAR}` from `env`, applies the contract profile and the defaults.
 *
 * @param file - Path to a scenario YAML file, relative to the current directory or absolute.
 * @param env - Variables for `${VAR}` interpolation; defaults to `process.env`.
 * @returns The resolved scenario, ready for {@link audit}.
 * @throws ScenarioError listing every problem in the file, each with its line and column.
 */
export function loadScenario(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedScenario> {
  return loadWithSchemas(file, extensionSchemas(), env);
}

/**
 * Audits the target a scenario describes and returns the result the reports are built from.
 * Findings are data in `result.findings`; a target that cannot be reached is a result too
 * (`status: 'incomplete'`, the reason in `result.errors`, exit code 3). The promise rejects only
 * when the audit cannot start: an invalid scenario or options, or a host the policy refuses.
 *
 * @example
 * ```ts
 * const result = await audit('idem-audit.yaml', { seed: 42, only: ['concurrent-burst'] });
 * expect(result.findings).toEqual([]);
 * ```
 *
 * @param scenarioOrPath - A scenario file path, or a scenario already loaded with {@link loadScenario}.
 * @param options - Filters, seed, budget and event hook; see {@link AuditApiOptions}.
 * @throws ScenarioError when the file is invalid; UsageError for an unknown attack id or endpoint name in the
 *   options; HostRefusedError when the target is neither loopback, nor allowed, nor declared staging.
 */
export async function audit(
  scenarioOrPath: string | ResolvedScenario,
  options: AuditApiOptions = {},
): Promise<AuditResult> {
  const { env = process.env, ...rest } = options;
  const scenario = typeof scenarioOrPath === 'string' ? await loadScenario(scenarioOrPath, env) : scenarioOrPath;
  return runAudit({
    ...rest,
    env,
    scenario,
    attacks: builtinAttacks,
    observers: builtinObservers,
    toolVersion: packageVersion(),
  });
}
