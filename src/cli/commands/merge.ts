/**
 * `idem-audit merge`: joins the report.json of several shards into one report folder, with the
 * exit code the unsharded run would have had. Each shard's events.ndjson, when it sits next to
 * its report.json, is replayed through the reporters, which is how the merged traffic.har gets
 * every exchange.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AttackResult, AuditResult, RunError } from '../../result/result.js';
import { IdemAuditError, UsageError } from '../../errors/errors.js';
import type { Finding } from '../../findings/finding.js';
import { severityRank, type Severity } from '../../scenario/severity.js';
import { exitCodeOf } from '../../verdict/exit-codes.js';
import { nothingAuditedReason, runStatusOf, summarize, type RunStop } from '../../verdict/verdict.js';
import { burstStatsBySync } from '../../http/sync/stats.js';
import { EVENT_LOG_FILE } from '../../reporters/event-log.js';
import { selectReporters } from '../../reporters/select-reporters.js';
import { list } from '../audit-options.js';
import { replayEventLogs } from '../event-log-replay.js';
import type { CliIo } from '../io.js';
import { readReport } from '../read-report.js';
import { reporterEnvironment, startReporting } from '../reporting.js';

/** The slice a report covers, as `run --shard` records it in report.json. */
export interface ShardInfo {
  index: number;
  count: number;
}

export function shardOf(result: AuditResult): ShardInfo | undefined {
  const s: unknown = result.shard;
  if (typeof s !== 'object' || s === null) return undefined;
  const { index, count } = s as Record<string, unknown>;
  return typeof index === 'number' && typeof count === 'number' ? { index, count } : undefined;
}

/** Shards of one split must all be there: a missing one would merge into a clean-looking report. */
function checkShardSet(shards: readonly AuditResult[]): boolean {
  const infos = shards.map(shardOf);
  const known = infos.filter((i): i is ShardInfo => i !== undefined);
  if (known.length === 0) return false;
  if (known.length !== infos.length)
    throw new UsageError('merge: some reports come from a --shard run and some do not; pass the shards of one split');
  const count = known[0]?.count ?? 0;
  if (known.some((i) => i.count !== count))
    throw new UsageError(
      `merge: the reports come from different splits (${[...new Set(known.map((i) => `/${i.count}`))].join(', ')})`,
    );
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !known.some((k) => k.index === i));
  if (missing.length > 0)
    throw new UsageError(
      `merge: shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')} missing; the merged report would not cover the whole audit`,
      `pass the report.json of all ${count} shards`,
    );
  return true;
}

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
  const split = checkShardSet(shards);
  if (split) {
    // `--shard i/n` takes plan items i-1, i-1+n, …: dealing the shards' attacks back in turn
    // restores the unsharded run's order exactly.
    const bySlice = [...shards].sort((a, b) => (shardOf(a)?.index ?? 0) - (shardOf(b)?.index ?? 0));
    attacks.length = 0;
    const longest = Math.max(...bySlice.map((s) => s.attacks.length));
    for (let k = 0; k < longest; k++) {
      for (const s of bySlice) {
        const a = s.attacks[k];
        if (a) attacks.push(a);
      }
    }
  } else {
    // Reports of separate runs: group by endpoint, in the order they first appear.
    const endpointOrder = [...new Set(shards.flatMap((s) => s.attacks.map((a) => a.endpoint)))];
    const attackOrder = [...new Set(shards.flatMap((s) => s.attacks.map((a) => a.attack)))];
    attacks.sort(
      (a, b) =>
        endpointOrder.indexOf(a.endpoint) - endpointOrder.indexOf(b.endpoint) ||
        attackOrder.indexOf(a.attack) - attackOrder.indexOf(b.attack),
    );
  }
  // Every endpoint × attack comes from exactly one shard (checked above), so the findings are
  // kept as they are, in plan order: an unsharded run keeps two findings that share a
  // fingerprint, and so must the merge.
  const cell = new Map(attacks.map((a, i) => [`${a.endpoint}\u0000${a.attack}`, i]));
  const order = (f: Finding): number => cell.get(`${f.endpoint}\u0000${f.attack}`) ?? attacks.length;
  const findings = shards
    .flatMap((s) => s.findings)
    .map((f, i) => ({ f, i }))
    .sort((a, b) => order(a.f) - order(b.f) || a.i - b.i)
    .map((x) => x.f);
  const failOn = shards
    .map((s) => s.failOn)
    .reduce((a: Severity, b) => (severityRank(b) < severityRank(a) ? b : a), first.failOn);
  // Judged again over the whole: a shard that audited nothing of its own is no gap in the merge,
  // but anything that stopped a shard early (interrupt, deadline, budget, unreachable) is.
  const errors: RunError[] = shards.flatMap((s) => s.errors).filter((e) => e.code !== 'IDEM_NOTHING_AUDITED');
  const stop: RunStop = shards.some((s) => s.status === 'interrupted')
    ? 'interrupt'
    : errors.length > 0
      ? 'cut-short'
      : undefined;
  const status = runStatusOf(attacks, stop);
  const nothing = stop === undefined ? nothingAuditedReason(attacks) : undefined;
  if (nothing !== undefined) errors.push({ code: 'IDEM_NOTHING_AUDITED', message: nothing });
  const startedAt = shards.map((s) => s.startedAt).sort()[0] ?? first.startedAt;
  const finishedAt =
    shards
      .map((s) => s.finishedAt)
      .sort()
      .at(-1) ?? first.finishedAt;
  const { shard: _shard, burstStats: _stats, keySalt: _salt, hooks: _hooks, ...rest } = first;
  const restores = shards.flatMap((s) => s.hooks ?? []);
  const bursts = attacks.flatMap((a) => a.bursts);
  // Shards run in parallel draw their own salts; one salt stands for the merge only if they agree.
  const salts = new Set(shards.map((s) => s.keySalt));
  const [salt] = salts;
  return {
    ...rest,
    ...(salts.size === 1 && salt !== undefined ? { keySalt: salt } : {}),
    ...(bursts.length > 0 ? { burstStats: burstStatsBySync(bursts) } : {}),
    ...(restores.length > 0 ? { hooks: restores } : {}),
    status,
    failOn,
    startedAt,
    finishedAt,
    durationMs: Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)),
    requests: shards.reduce((n, s) => n + s.requests, 0),
    summary: summarize(attacks, findings),
    attacks,
    findings,
    errors,
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
      const selected = selectReporters(
        opts.reporter,
        reporterEnvironment(io, { quiet: opts.quiet === true, live: false }),
      );
      const shards = files.map((f) => readReport(f, io.cwd));
      const merged = mergeResults(shards);
      const dir = resolve(io.cwd, opts.out);
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new IdemAuditError('IDEM_REPORT_WRITE_FAILED', `cannot create ${dir}: ${(err as Error).message}`);
      }
      const exitCode = exitCodeOf(merged);
      const eventFiles = files
        .map((f) => join(dirname(resolve(io.cwd, f)), EVENT_LOG_FILE))
        .filter((f) => existsSync(f));
      const reports = startReporting(selected, dir, io);
      try {
        // A log that cannot be read still lets every report be written before the merge fails.
        const unread = reports.wantsExchanges ? await replayEventLogs(eventFiles, reports) : undefined;
        await reports.end(merged, exitCode);
        if (unread) throw unread;
      } finally {
        await reports.close();
      }
      setExit(exitCode);
    });
}
