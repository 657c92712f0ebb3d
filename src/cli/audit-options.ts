/** The options `run` and `demo` share, declared once. */
import { Option, type Command } from 'commander';
import { UsageError } from '../errors/errors.js';
import { SEVERITIES, type Severity } from '../findings/severity.js';

export interface AuditCliOptions {
  out?: string;
  only?: string[];
  skip?: string[];
  endpoint?: string[];
  seed?: number;
  failOn?: Severity;
  maxRequests?: number;
  debug?: boolean;
}

function list(value: string, prev: string[] | undefined): string[] {
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
  return cmd
    .option('--out <dir>', 'write reports to this folder (default: reports/<scenario>-<timestamp>)')
    .option('--only <attacks>', 'run only these attacks (comma-separated ids)', list)
    .option('--skip <attacks>', 'skip these attacks', list)
    .option('--endpoint <names>', 'audit only these endpoints', list)
    .option(
      '--seed <n>',
      'seed for every key and body generated (default: settings.seed or random)',
      uint('--seed', 0xffffffff),
    )
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(SEVERITIES),
    )
    .option(
      '--max-requests <n>',
      'hard cap on requests sent (overrides settings.maxRequests)',
      uint('--max-requests', 10_000_000),
    )
    .option('--debug', 'print stack traces of internal errors');
}

export function validateAttackIds(ids: readonly string[] | undefined, known: readonly string[], flag: string): void {
  for (const id of ids ?? []) {
    if (!known.includes(id))
      throw new UsageError(`${flag}: unknown attack '${id}'`, `known attacks: ${known.join(', ')}`);
  }
}
