/** The options `run` and `demo` share, declared once. */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors/errors.js';
import { SEVERITIES, type Severity } from '../scenario/severity.js';
import { MAX_SHARDS, SHARD_COUNT_VARIABLE, shardFromCi, type Shard } from './ci-shard.js';
import { addGuardRailOptions, cliDuration, type GuardRailOptions } from './guard-rails.js';

export interface AuditCliOptions extends GuardRailOptions {
  out?: string;
  only?: string[];
  skip?: string[];
  endpoint?: string[];
  seed?: number;
  keySalt?: string;
  failOn?: Severity;
  maxRequests?: number;
  debug?: boolean;
  reporter?: string[];
  quiet?: boolean;
  /** `auto`: from the CI system's parallel-job variables (resolveShard). */
  shard?: Shard | 'auto';
  /** The number of shards where the CI system does not say it (Kubernetes Indexed Jobs). */
  shardCount?: number;
  /** A baseline file or report.json whose findings do not fail the run. */
  baseline?: string;
  /** Milliseconds an attack may spend waiting on the target's clock (ttl-probe). */
  maxWait?: number;
}

function keySalt(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value))
    throw new UsageError(
      `--key-salt expects the keySalt of a report (1-64 letters, digits, '-' or '_'), got '${value}'`,
    );
  return value;
}

/** commander parser for a repeatable comma-separated option: `--only a,b --only c`. */
export function list(value: string, prev: string[] | undefined): string[] {
  return [
    ...(prev ?? []),
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

function uint(name: string, max: number): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v) || Number(v) > max)
      throw new UsageError(`${name} must be an integer between 0 and ${max}, got '${v}'`);
    return Number(v);
  };
}

export function addAuditOptions(cmd: Command): Command {
  return addGuardRailOptions(cmd)
    .option('--out <dir>', 'write reports to this folder (default: reports/<scenario>-<timestamp>)')
    .option('--only <attacks>', 'run only these attacks (comma-separated ids)', list)
    .option('--skip <attacks>', 'skip these attacks', list)
    .option('--endpoint <names>', 'audit only these endpoints', list)
    .option(
      '--seed <n>',
      'seed for every body, mutation and key generated (default: settings.seed or random)',
      uint('--seed', 0xffffffff),
    )
    .option(
      '--key-salt <salt>',
      "resend exactly a run's keys: its recorded keySalt (default: fresh keys each run, so a target that remembers the last run's keys still sees first requests)",
      keySalt,
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(SEVERITIES),
    )
    .option(
      '--max-requests <n>',
      'hard cap on requests sent (overrides settings.maxRequests)',
      uint('--max-requests', 10_000_000),
    )
    .option('--debug', 'print stack traces of internal errors')
    .option(
      '--reporter <list>',
      'outputs to write: terminal,json,html,junit,markdown,har,sarif (default: all but sarif; `default,sarif` adds it)',
      list,
    )
    .option('--quiet', 'print nothing but errors on the terminal (report files are still written)')
    .option('--max-wait <duration>', 'longest an attack may wait on time (e.g. ttl-probe; default 60s)', maxWaitOf)
    .option(
      '--shard <i/n|auto>',
      'run only slice i of n of the endpoint × attack matrix (CI parallelism); auto: from the CI system (GitLab, CircleCI, Buildkite, Kubernetes Indexed Jobs)',
      shardOf,
    )
    .option(
      '--shard-count <n>',
      `with --shard auto: the number of shards where the CI system does not say it (Kubernetes; or ${SHARD_COUNT_VARIABLE})`,
      uint('--shard-count', MAX_SHARDS),
    )
    .option(
      '--baseline <file>',
      'known findings that do not fail the run: a report.json or a file from `idem-audit baseline` (they stay listed, marked baseline)',
    );
}

/** The slice run preparation gets: --shard i/n as given, or auto resolved from the CI system's variables. */
export function resolveShard(
  opts: Pick<AuditCliOptions, 'shard' | 'shardCount'>,
  env: NodeJS.ProcessEnv,
): (Shard & { source?: string }) | undefined {
  if (opts.shardCount !== undefined && opts.shard !== 'auto')
    throw new UsageError('--shard-count goes with --shard auto', 'with --shard i/n the count is n');
  if (opts.shard === 'auto') return shardFromCi(env, opts.shardCount);
  return opts.shard;
}

function maxWaitOf(v: string): number {
  const ms = cliDuration('--max-wait', v, '90s');
  if (ms === undefined || ms < 0 || ms > 24 * 3_600_000)
    throw new UsageError(`--max-wait must be a duration up to 24h, got '${v}'`, 'e.g. --max-wait 90s');
  return ms;
}

function shardOf(v: string): Shard | 'auto' {
  if (v === 'auto') return 'auto';
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count || count > MAX_SHARDS)
    throw new UsageError(
      `--shard must be i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS}, or auto, got '${v}'`,
      'e.g. --shard 2/3, or --shard auto in a parallel CI job',
    );
  return { index, count };
}

export function validateAttackIds(ids: readonly string[] | undefined, known: readonly string[], flag: string): void {
  for (const id of ids ?? []) {
    if (!known.includes(id))
      throw new UsageError(`${flag}: unknown attack '${id}'`, `known attacks: ${known.join(', ')}`);
  }
}
