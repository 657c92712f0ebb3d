/**
 * Runs an audit for the CLI: seed choice, Ctrl-C handling, the reporters, and the exit code.
 * Shared by `run` and `demo` so both behave identically.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { attacks } from '../attacks/index.js';
import { prepareRun, type RunRequest } from '../engine/prepare-run.js';
import { executePlan } from '../engine/run-audit.js';
import { IdemAuditError } from '../errors/errors.js';
import { observers } from '../observers/index.js';
import { selectReporters } from '../reporters/select-reporters.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { exitCodeOf } from '../verdict/exit-codes.js';
import type { AuditCliOptions } from './audit-options.js';
import { renderDryRun } from './dry-run.js';
import { type CliIo } from './io.js';
import { packageVersion } from '../package-info.js';
import { reporterEnvironment, startReporting } from './reporting.js';

function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

const CLI_LABELS = { only: '--only', skip: '--skip', endpoints: '--endpoint', allowHooks: '--allow-hooks' } as const;

/** The command line's options as run preparation takes them. */
function runRequest(opts: AuditCliOptions, env: NodeJS.ProcessEnv): RunRequest {
  const req: RunRequest = { env, allowProduction: opts.allowProduction === true, allowHooks: opts.allowHooks === true };
  if (opts.seed !== undefined) req.seed = opts.seed;
  if (opts.keySalt !== undefined) req.keySalt = opts.keySalt;
  if (opts.only) req.only = opts.only;
  if (opts.skip) req.skip = opts.skip;
  if (opts.endpoint) req.endpoints = opts.endpoint;
  if (opts.shard) req.shard = opts.shard;
  if (opts.failOn) req.failOn = opts.failOn;
  if (opts.maxRequests !== undefined) req.maxRequests = opts.maxRequests;
  if (opts.maxWait !== undefined) req.maxWaitMs = opts.maxWait;
  if (opts.rate !== undefined) req.rate = opts.rate;
  if (opts.deadline !== undefined) req.deadlineMs = opts.deadline;
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
  const plan = prepareRun(scenario, runRequest(opts, io.env), { attacks, observers }, (o) => CLI_LABELS[o]);
  if (opts.dryRun === true) {
    io.stdout(renderDryRun(plan));
    return 0;
  }
  const quiet = opts.quiet === true;
  const { seed, keySalt } = plan;
  const dir = resolve(io.cwd, opts.out ?? join('reports', `${scenario.name}-${timestamp(new Date())}`));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new IdemAuditError(
      'IDEM_REPORT_WRITE_FAILED',
      `cannot create the report folder ${dir}: ${(err as Error).message}`,
    );
  }
  const reports = startReporting(selected, dir, io);

  const controller = new AbortController();
  let interrupts = 0;
  // The run restores what its hooks broke on every way out, a second Ctrl-C included (engine/run-audit.ts).
  const hooks = plan.hooks.unavailable === undefined && Object.keys(plan.hooks.specs).length > 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr(
      `\ninterrupting: finishing requests in flight${hooks ? ', bringing back the store and the target if a hook took them away,' : ''} and writing a partial report (Ctrl-C again to quit now${hooks ? '; pending storeUp/restart hooks still run first' : ''})\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const only = opts.only && opts.only.length > 0 ? ` --only ${opts.only.join(',')}` : '';
    const shard = opts.shard ? ` --shard ${opts.shard.index}/${opts.shard.count}` : '';
    if (!quiet)
      io.stderr(
        `idem-audit: auditing ${scenario.target.baseUrl} (${scenario.name}), seed ${seed}, key salt ${keySalt}${only}${shard}\n`,
      );
    const result = await executePlan(plan, {
      signal: controller.signal,
      onEvent: (e) => reports.emit(e),
      reproCommand: (attack, endpoint) => `${reproPrefix} --only ${attack} --endpoint ${endpoint}`,
      toolVersion: packageVersion(),
    });
    const exitCode = exitCodeOf(result);
    await reports.end(result, exitCode);
    // Also with --quiet: what kept the run from auditing is an error, and errors go to stderr.
    for (const e of result.errors) io.stderr(`error: ${e.message} [${e.code}]${e.hint ? `\nhint: ${e.hint}` : ''}\n`);
    return exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reports.close();
  }
}
