/**
 * Runs an audit for the CLI: seed choice, Ctrl-C handling, the reporters, and the exit code.
 * Shared by `run` and `demo` so both behave identically.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { attacks } from '../attacks/index.js';
import { prepareRun, type RunRequest } from '../engine/prepare-run.js';
import { executePlan } from '../engine/run-audit.js';
import { observers } from '../observers/index.js';
import { selectReporters } from '../reporters/select-reporters.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { exitCodeOf } from '../verdict/exit-codes.js';
import type { Baseline } from '../verdict/baseline.js';
import { resolveShard, type AuditCliOptions } from './audit-options.js';
import { renderDryRun } from './dry-run.js';
import { listenForInterrupts } from './interrupts.js';
import { type CliIo } from './io.js';
import { packageVersion } from '../package-info.js';
import { readBaseline } from './read-report.js';
import { reporterEnvironment, startReporting } from './reporting.js';
import { makeReportFolder } from './report-folder.js';
import { shellQuote } from './shell-quote.js';

/** `20261129-143000`: a report folder name that sorts by time. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

const CLI_LABELS = { only: '--only', skip: '--skip', endpoints: '--endpoint', allowHooks: '--allow-hooks' } as const;

/** The command line's options as run preparation takes them. */
function runRequest(
  opts: AuditCliOptions,
  env: NodeJS.ProcessEnv,
  shard: RunRequest['shard'],
  baseline: Baseline | undefined,
): RunRequest {
  const req: RunRequest = { env, allowProduction: opts.allowProduction === true, allowHooks: opts.allowHooks === true };
  if (opts.seed !== undefined) req.seed = opts.seed;
  if (opts.keySalt !== undefined) req.keySalt = opts.keySalt;
  if (opts.only) req.only = opts.only;
  if (opts.skip) req.skip = opts.skip;
  if (opts.endpoint) req.endpoints = opts.endpoint;
  if (shard) req.shard = shard;
  if (baseline) req.baseline = baseline;
  if (opts.failOn) req.failOn = opts.failOn;
  if (opts.maxRequests !== undefined) req.maxRequests = opts.maxRequests;
  if (opts.maxWait !== undefined) req.maxWaitMs = opts.maxWait;
  if (opts.rate !== undefined) req.rate = opts.rate;
  if (opts.deadline !== undefined) req.deadlineMs = opts.deadline;
  if (opts.concurrency !== undefined) req.concurrency = opts.concurrency;
  return req;
}

export async function executeAudit(
  scenario: ResolvedScenario,
  opts: AuditCliOptions,
  io: CliIo,
  reproPrefix: string,
): Promise<number> {
  // Checked before --dry-run, so a dry run also catches a typo in --reporter.
  const selected = selectReporters(opts.reporter, reporterEnvironment(io, { quiet: opts.quiet === true, live: true }));
  const shard = resolveShard(opts, io.env);
  const baseline = opts.baseline === undefined ? undefined : readBaseline(opts.baseline, io.cwd);
  const plan = prepareRun(
    scenario,
    runRequest(opts, io.env, shard && { index: shard.index, count: shard.count }, baseline),
    { attacks, observers },
    (o) => CLI_LABELS[o],
  );
  if (opts.dryRun === true) {
    io.stdout(renderDryRun(plan));
    return 0;
  }
  const quiet = opts.quiet === true;
  const { seed, keySalt } = plan;
  const dir = resolve(io.cwd, opts.out ?? join('reports', `${scenario.name}-${timestamp(new Date())}`));
  makeReportFolder(dir);
  const reports = startReporting(selected, dir, io);
  // The run restores what its hooks broke on every way out, a second Ctrl-C included (engine/run-audit.ts).
  const interrupts = listenForInterrupts(io, {
    hooks: plan.hooks.unavailable === undefined && Object.keys(plan.hooks.specs).length > 0,
  });

  try {
    const only = opts.only && opts.only.length > 0 ? ` --only ${opts.only.join(',')}` : '';
    const slice = shard ? ` --shard ${shard.index}/${shard.count}${shard.source ? ` (${shard.source})` : ''}` : '';
    if (!quiet)
      io.stderr(
        `idem-audit: auditing ${scenario.target.baseUrl} (${scenario.name}), seed ${seed}, key salt ${keySalt}${only}${slice}\n`,
      );
    // A baseline made for another scenario matches none of this one's fingerprints: say so, the run still judges.
    if (baseline && baseline.scenario !== scenario.name)
      io.stderr(
        `warning: the baseline ${opts.baseline ?? ''} was made for scenario '${baseline.scenario}', not '${scenario.name}': none of its entries can match\n`,
      );
    // Shown relative to where the user is, unless that means climbing out of it.
    const inCwd = relative(io.cwd, join(dir, 'report.json'));
    const reportJson = inCwd.startsWith('..') || isAbsolute(inCwd) ? join(dir, 'report.json') : inCwd;
    const result = await executePlan(plan, {
      signal: interrupts.signal,
      onEvent: (e) => reports.emit(e),
      reproCommand: (attack, endpoint) => `${reproPrefix} --only ${attack} --endpoint ${endpoint}`,
      replayCommand: (fingerprint) => `idem-audit replay ${shellQuote(reportJson)} --finding ${fingerprint}`,
      toolVersion: packageVersion(),
    });
    const exitCode = exitCodeOf(result);
    await reports.end(result, exitCode);
    // Also with --quiet: what kept the run from auditing is an error, and errors go to stderr.
    for (const e of result.errors) io.stderr(`error: ${e.message} [${e.code}]${e.hint ? `\nhint: ${e.hint}` : ''}\n`);
    return exitCode;
  } finally {
    interrupts.dispose();
    await reports.close();
  }
}
