/**
 * Run preparation: a scenario and the caller's options become a checked, guarded plan, or an
 * error before anything is sent. The CLI (run, demo), the programmatic API and replay all come
 * through here, so a typo in an attack id, an endpoint name that does not exist, or a host the
 * policy refuses fails the same way whichever door the run came in by.
 */
import type { Attack } from '../attacks/types.js';
import type { PendingCheck } from '../findings/pending-check.js';
import { UsageError } from '../errors/errors.js';
import type { Severity } from '../scenario/severity.js';
import { HostPolicy, allowHostsFromEnv } from '../http/host-policy.js';
import type { Observer } from '../observers/types.js';
import type { HookSpecs, ResolvedEndpoint, ResolvedScenario } from '../scenario/types.js';
import type { Baseline } from '../verdict/baseline.js';
import { randomKeySalt, randomSeed } from '../random/rng.js';

/** The registries a run draws from: the built-ins, or a caller's own (tests, extensions). */
export interface Registries {
  attacks: Readonly<Record<string, Attack>>;
  observers: Readonly<Record<string, Observer>>;
}

/** What a caller may ask of a run; every field is optional and falls back to the scenario. */
export interface RunRequest {
  /** Seed for bodies, mutations and shrinking; default `settings.seed`, else random. */
  seed?: number;
  /** Salt of generated keys; default fresh per run (see README "Seeds and keys"). */
  keySalt?: string;
  /** Attack ids to run (default: each endpoint's list). */
  only?: readonly string[];
  skip?: readonly string[];
  endpoints?: readonly string[];
  /** Run only slice `index` (1-based) of `count` of the endpoint × attack matrix. */
  shard?: { index: number; count: number };
  failOn?: Severity;
  maxRequests?: number;
  /** Longest an attack may wait on the target's clock (ttl-probe, retries); attacks pick their own default. */
  maxWaitMs?: number;
  /** Requests per second outside bursts (overrides settings.rate). */
  rate?: number;
  /** Whole-run time limit: reached, the run stops like an interruption, status `incomplete`. */
  deadlineMs?: number;
  /** Endpoints audited at once, in parallel lanes (overrides settings.concurrency); 1 is a serial run. */
  concurrency?: number;
  /** Consent to audit a target declared `environment: production`. */
  allowProduction?: boolean;
  /**
   * Consent to run the scenario's `hooks` (commands that crash and restart the target or take its
   * store away): a scenario file comes from a repository, so running its commands is a choice.
   */
  allowHooks?: boolean;
  /** Environment read for IDEM_AUDIT_ALLOW_HOSTS; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Findings accepted for now: they are reported, marked, and do not fail the run (verdict/baseline.ts). */
  baseline?: Baseline;
}

/** How the options are called where the caller wrote them, for error messages (`--only` vs `only`). */
export type OptionLabel = (option: 'only' | 'skip' | 'endpoints' | 'allowHooks') => string;

export const API_LABELS: OptionLabel = (o) => o;

/**
 * Lanes when neither the caller nor the scenario says. Measured on the demo (bench B6: 4 lanes
 * 39 s, 6 lanes 32.5 s, 8 lanes 31.8 s, 12 lanes 32.3 s, serial 103 s, one run at load ~10):
 * beyond 6 to 8 lanes the longest endpoint's own chain of attacks and the bursts, which take
 * turns, bound the run; 8 leaves room for scenarios with more slow endpoints than the demo.
 */
export const DEFAULT_CONCURRENCY = 8;
export const MAX_CONCURRENCY = 64;

export interface PlannedAttack {
  endpoint: ResolvedEndpoint;
  attack: Attack;
  options: unknown;
  /** `idem-audit verify`: the checks this attack left on this endpoint in the run being verified. */
  deferred?: readonly PendingCheck[];
}

/** The scenario's hooks and whether this run may run them. */
export interface HookPlan {
  specs: HookSpecs;
  /** Why the declared hooks may not run (the consent flag is missing); undefined when they may. */
  unavailable: string | undefined;
}

/** Everything the audit loop needs, checked. */
export interface RunPlan {
  /** The scenario with the run's overrides folded in (rate). */
  scenario: ResolvedScenario;
  /** The endpoint × attack cells to run, in order. */
  cells: readonly PlannedAttack[];
  registries: Registries;
  seed: number;
  keySalt: string;
  failOn: Severity;
  maxRequests: number;
  maxWaitMs: number | undefined;
  deadlineMs: number | undefined;
  /** Parallel lanes (1: serial, in plan order). */
  concurrency: number;
  hostPolicy: HostPolicy;
  shard: { index: number; count: number } | undefined;
  baseline: Baseline | undefined;
  hooks: HookPlan;
}

/** Why a run started without consent runs no hook; `flag` is how the caller gives consent. */
export function hooksOffReason(flag: string): string {
  return `hooks are off: they run the scenario's commands on this machine, so a run uses them only when started with ${flag}`;
}

/** The host policy a scenario implies under the caller's consent and environment. */
export function hostPolicyFor(
  scenario: ResolvedScenario,
  o: Pick<RunRequest, 'allowProduction' | 'env'> = {},
): HostPolicy {
  return new HostPolicy({
    allowHosts: [...(scenario.target.allowHosts ?? []), ...allowHostsFromEnv(o.env ?? process.env)],
    environment: scenario.target.environment,
    allowProduction: o.allowProduction === true,
  });
}

/**
 * Throws UsageError for unknown attack ids or endpoint names (a typo must fail loudly: an
 * `only` that matches nothing would audit nothing), and HostRefusedError for a refused host.
 */
export function prepareRun(
  scenario: ResolvedScenario,
  req: RunRequest,
  registries: Registries,
  label: OptionLabel = API_LABELS,
): RunPlan {
  const known = Object.keys(registries.attacks);
  checkAttackIds(req.only, known, label('only'));
  checkAttackIds(req.skip, known, label('skip'));
  for (const e of req.endpoints ?? []) {
    if (!scenario.endpoints.some((x) => x.name === e))
      throw new UsageError(
        `${label('endpoints')}: the scenario has no endpoint '${e}'`,
        `endpoints: ${scenario.endpoints.map((x) => x.name).join(', ')}`,
      );
  }
  const concurrency = req.concurrency ?? scenario.settings.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY)
    throw new UsageError(`concurrency must be an integer from 1 to ${MAX_CONCURRENCY}, got ${concurrency}`);
  const hostPolicy = hostPolicyFor(scenario, req);
  hostPolicy.assertAllowed([scenario.target.baseUrl, ...scenario.target.nodes]);
  const guarded: ResolvedScenario =
    req.rate === undefined ? scenario : { ...scenario, settings: { ...scenario.settings, rate: req.rate } };
  return {
    scenario: guarded,
    cells: planCells(guarded, registries.attacks, req),
    registries,
    seed: req.seed ?? scenario.settings.seed ?? randomSeed(),
    keySalt: req.keySalt ?? randomKeySalt(),
    failOn: req.failOn ?? scenario.settings.failOn,
    maxRequests: req.maxRequests ?? scenario.settings.maxRequests,
    maxWaitMs: req.maxWaitMs,
    deadlineMs: req.deadlineMs,
    concurrency,
    hostPolicy,
    shard: req.shard,
    baseline: req.baseline,
    hooks: {
      specs: scenario.hooks ?? {},
      unavailable: req.allowHooks === true ? undefined : hooksOffReason(label('allowHooks')),
    },
  };
}

export function checkAttackIds(ids: readonly string[] | undefined, known: readonly string[], option: string): void {
  for (const id of ids ?? []) {
    if (!known.includes(id))
      throw new UsageError(`${option}: unknown attack '${id}'`, `known attacks: ${known.join(', ')}`);
  }
}

/** The endpoint × attack matrix after the filters; `--shard i/n` takes every n-th cell from i. */
export function planCells(
  scenario: ResolvedScenario,
  attacks: Readonly<Record<string, Attack>>,
  f: Pick<RunRequest, 'only' | 'skip' | 'endpoints' | 'shard'>,
): PlannedAttack[] {
  const plan: PlannedAttack[] = [];
  for (const endpoint of scenario.endpoints) {
    if (f.endpoints && f.endpoints.length > 0 && !f.endpoints.includes(endpoint.name)) continue;
    for (const spec of endpoint.attacks) {
      if (f.only && f.only.length > 0 && !f.only.includes(spec.id)) continue;
      if (f.skip?.includes(spec.id)) continue;
      const attack = attacks[spec.id];
      if (!attack) continue; // the loader rejects unknown ids; a programmatic caller may pass a subset
      plan.push({ endpoint, attack, options: spec.options });
    }
  }
  // Round-robin over the full plan: deterministic, balanced, and the shards partition it.
  const shard = f.shard;
  if (shard) return plan.filter((_, i) => i % shard.count === shard.index - 1);
  return plan;
}
