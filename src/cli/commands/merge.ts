/**
 * `idem-audit merge`: joins the report.json of several shards into one report folder, with the
 * exit code the unsharded run would have had. Each shard's events.ndjson, when it sits next to
 * its report.json, feeds the merged traffic.har.
 */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AttackResult, AttackStatus, AuditResult, RunStatus } from '../../engine/result.js';
import { exitCodeOf } from '../../engine/run-audit.js';
import { IdemAuditError, UsageError } from '../../errors/errors.js';
import type { Finding } from '../../findings/finding.js';
import { SEVERITIES, severityRank, type Severity } from '../../findings/severity.js';
import { list } from '../audit-options.js';
import type { CliIo } from '../io.js';
import { readReport } from '../read-report.js';
import { selectReporters, writeReports } from '../reporting.js';

const STATUS_RANK: Record<RunStatus, number> = { completed: 0, incomplete: 1, interrupted: 2 };

export function mergeResults(shards: readonly AuditResult[]): AuditResult {
  const [first] = shards;
  if (!first) throw new UsageError('merge: no report given');
  for (const s of shards) {
    if (s.scenario.name !== first.scenario.name)
      throw new UsageError(
        `merge: the reports audit different scenarios ('${first.scenario.name}' and '${s.scenario.name}')`,
      );
  }
  const attacks: AttackResult[] = [];
  const seen = new Set<string>();
  for (const s of shards) {
    for (const a of s.attacks) {
      const id = `${a.endpoint}\u0000${a.attack}`;
      if (seen.has(id))
        throw new UsageError(`merge: ${a.attack} on ${a.endpoint} appears in two reports; pass each shard once`);
      seen.add(id);
      attacks.push(a);
    }
  }
  // Shards interleave the plan round-robin; restore the scenario's endpoint order for reading.
  const endpointOrder = [...new Set(shards.flatMap((s) => s.attacks.map((a) => a.endpoint)))];
  const attackOrder = [...new Set(shards.flatMap((s) => s.attacks.map((a) => a.attack)))];
  attacks.sort(
    (a, b) =>
      endpointOrder.indexOf(a.endpoint) - endpointOrder.indexOf(b.endpoint) ||
      attackOrder.indexOf(a.attack) - attackOrder.indexOf(b.attack),
  );
  const byFingerprint = new Map<string, Finding>();
  for (const s of shards)
    for (const f of s.findings) if (!byFingerprint.has(f.fingerprint)) byFingerprint.set(f.fingerprint, f);
  const findings = [...byFingerprint.values()];
  const failOn = shards
    .map((s) => s.failOn)
    .reduce((a: Severity, b) => (severityRank(b) < severityRank(a) ? b : a), first.failOn);
  const status = shards.map((s) => s.status).reduce((a, b) => (STATUS_RANK[b] > STATUS_RANK[a] ? b : a));
  const startedAt = shards.map((s) => s.startedAt).sort()[0] ?? first.startedAt;
  const finishedAt =
    shards
      .map((s) => s.finishedAt)
      .sort()
      .at(-1) ?? first.finishedAt;
  const countStatus = (st: AttackStatus): number => attacks.filter((a) => a.status === st).length;
  return {
    ...first,
    status,
    failOn,
    startedAt,
    finishedAt,
    durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
    requests: shards.reduce((n, s) => n + s.requests, 0),
    summary: {
      findings: Object.fromEntries(
        SEVERITIES.map((sev) => [sev, findings.filter((f) => f.severity === sev).length]),
      ) as Record<Severity, number>,
      attacks: {
        passed: countStatus('passed'),
        failed: countStatus('failed'),
        skipped: countStatus('skipped'),
        inconclusive: countStatus('inconclusive'),
        error: countStatus('error'),
      },
    },
    attacks,
    findings,
    errors: shards.flatMap((s) => s.errors),
  };
}

interface MergeOptions {
  out: string;
  reporter?: string[];
  quiet?: boolean;
}

export function registerMerge(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('merge')
    .description('join the report.json of shards (run --shard i/n) into one report, exiting like a single run')
    .argument('<reports...>', 'report.json files of the shards')
    .requiredOption('--out <dir>', 'folder for the merged reports')
    .option('--reporter <list>', 'outputs to write (default: all)', list)
    .option('--quiet', 'print nothing but errors on the terminal')
    .action(async (files: string[], opts: MergeOptions) => {
      const selected = selectReporters(opts.reporter);
      const shards = files.map((f) => readReport(f, io.cwd));
      const merged = mergeResults(shards);
      const dir = resolve(io.cwd, opts.out);
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new IdemAuditError('IDEM_REPORT_WRITE_FAILED', `cannot create ${dir}: ${(err as Error).message}`);
      }
      const exitCode = exitCodeOf(merged);
      const eventFiles = files.map((f) => join(dirname(resolve(io.cwd, f)), 'events.ndjson'));
      await writeReports(merged, { dir, exitCode, selected, quiet: opts.quiet === true, eventFiles }, io);
      setExit(exitCode);
    });
}
