/**
 * The guard rails of `run` and `demo`: which hosts may be audited, how fast and how long a run
 * may go (--rate, --deadline; --max-requests lives with the other audit options), and
 * --dry-run, which prints the plan and sends nothing.
 */
import type { Command } from 'commander';
import type { Attack } from '../attacks/types.js';
import { parseDuration } from '../config/durations.js';
import { assertHostsAllowed } from '../engine/host-policy.js';
import type { AuditOptions } from '../engine/run-audit.js';
import { UsageError } from '../errors/errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { renderDryRun } from './dry-run.js';
import type { CliIo } from './io.js';

export interface GuardRailOptions {
  rate?: number;
  deadline?: number;
  dryRun?: boolean;
  allowProduction?: boolean;
}

const MAX_RATE = 100_000;

function rate(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0) || n > MAX_RATE)
    throw new UsageError(`--rate must be a number of requests per second above 0 and at most ${MAX_RATE}, got '${v}'`);
  return n;
}

/**
 * A duration given on the command line. Unlike a scenario's, it needs its unit: `--deadline 5`
 * is far more likely to mean minutes or seconds than the 5 ms a bare number means in YAML.
 */
export function cliDuration(flag: string, v: string, example: string): number | undefined {
  if (/^\s*\d+\s*$/.test(v))
    throw new UsageError(`${flag} needs a unit, got '${v}'`, `e.g. ${flag} ${v.trim()}s or ${flag} ${example}`);
  return parseDuration(v);
}

function deadline(v: string): number {
  const ms = cliDuration('--deadline', v, '10m');
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--deadline must be a duration such as 90s, 10m or 1h30m, got '${v}'`);
  return ms;
}

export function addGuardRailOptions(cmd: Command): Command {
  return cmd
    .option('--rate <n>', 'requests per second outside bursts (overrides settings.rate)', rate)
    .option(
      '--deadline <duration>',
      'time limit for the whole run (e.g. 10m): then it stops and reports what it saw, status incomplete',
      deadline,
    )
    .option('--dry-run', 'print the plan (attacks, estimated requests, sync modes) and send nothing')
    .option('--allow-production', 'allow a target declared target.environment: production');
}

export interface GuardRails {
  /** Set when --dry-run printed the plan: the caller stops there. */
  dryRunDone: boolean;
  /** What the run must use instead of the CLI defaults. */
  auditOptions: Partial<Pick<AuditOptions, 'scenario' | 'deadlineMs'>>;
}

/**
 * Applies the rails before anything is sent: refuses foreign hosts (UsageError, exit 2),
 * folds --rate into the scenario, and with --dry-run prints the plan instead of running.
 */
export function applyGuardRails(
  scenario: ResolvedScenario,
  opts: GuardRailOptions & {
    only?: readonly string[];
    skip?: readonly string[];
    endpoint?: readonly string[];
    shard?: { index: number; count: number };
    maxRequests?: number;
  },
  attacks: Readonly<Record<string, Attack>>,
  io: CliIo,
): GuardRails {
  assertHostsAllowed(scenario, { allowProduction: opts.allowProduction === true, env: io.env });
  const guarded: ResolvedScenario =
    opts.rate === undefined ? scenario : { ...scenario, settings: { ...scenario.settings, rate: opts.rate } };
  const auditOptions: GuardRails['auditOptions'] = { scenario: guarded };
  if (opts.deadline !== undefined) auditOptions.deadlineMs = opts.deadline;
  if (opts.dryRun === true) {
    io.stdout(
      renderDryRun({
        scenario: guarded,
        attacks,
        only: opts.only,
        skip: opts.skip,
        endpoints: opts.endpoint,
        shard: opts.shard,
        maxRequests: opts.maxRequests ?? guarded.settings.maxRequests,
        rate: guarded.settings.rate,
        deadlineMs: opts.deadline,
      }),
    );
    return { dryRunDone: true, auditOptions };
  }
  return { dryRunDone: false, auditOptions };
}
