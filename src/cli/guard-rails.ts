/**
 * The guard-rail flags of `run` and `demo`: how fast and how long a run may go (--rate,
 * --deadline; --max-requests lives with the other audit options), --dry-run, --allow-production
 * and --allow-hooks. Only the parsing lives here: run preparation (engine/prepare-run.ts)
 * applies them, the same way for every caller.
 */
import type { Command } from 'commander';
import { parseDuration } from '../config/durations.js';
import { UsageError } from '../errors/errors.js';

export interface GuardRailOptions {
  rate?: number;
  deadline?: number;
  dryRun?: boolean;
  allowProduction?: boolean;
  allowHooks?: boolean;
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
    .option('--allow-production', 'allow a target declared target.environment: production')
    .option(
      '--allow-hooks',
      "run the scenario's hooks: its commands that crash and restart the target or stop its key store (process-crash, store-outage)",
    );
}
