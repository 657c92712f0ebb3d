/**
 * Runs an audit for the CLI: seed choice, Ctrl-C handling, the reporters, and the exit code.
 * Shared by `run` and `demo` so both behave identically.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { attacks } from '../attacks/index.js';
import { runAudit, exitCodeOf } from '../engine/run-audit.js';
import type { AuditResult } from '../engine/result.js';
import { randomKeySalt, randomSeed } from '../engine/rng.js';
import { IdemAuditError } from '../errors/errors.js';
import { observers } from '../observers/index.js';
import { selectReporters } from '../reporters/select-reporters.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { AuditCliOptions } from './audit-options.js';
import { validateAttackIds } from './audit-options.js';
import { applyGuardRails } from './guard-rails.js';
import { type CliIo } from './io.js';
import { packageVersion } from './package-info.js';
import { reporterEnvironment, startReporting } from './reporting.js';

function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function withShard(result: AuditResult, shard: AuditCliOptions['shard']): AuditResult {
  return shard ? Object.assign(result, { shard: { index: shard.index, count: shard.count } }) : result;
}

export async function executeAudit(
  scenario: ResolvedScenario,
  opts: AuditCliOptions,
  io: CliIo,
  reproPrefix: string,
): Promise<number> {
  const known = Object.keys(attacks);
  validateAttackIds(opts.only, known, '--only');
  validateAttackIds(opts.skip, known, '--skip');
  for (const e of opts.endpoint ?? []) {
    if (!scenario.endpoints.some((x) => x.name === e)) {
      throw new IdemAuditError(
        'IDEM_USAGE',
        `--endpoint: the scenario has no endpoint '${e}'`,
        `endpoints: ${scenario.endpoints.map((x) => x.name).join(', ')}`,
      );
    }
  }
  // Checked before --dry-run, so a dry run also catches a typo in --reporter.
  const selected = selectReporters(opts.reporter, reporterEnvironment(io, { quiet: opts.quiet === true, live: true }));
  // Host policy, --rate, --deadline, and --dry-run, which ends here with nothing sent (guard-rails.ts).
  const rails = applyGuardRails(scenario, opts, attacks, io);
  if (rails.dryRunDone) return 0;
  const quiet = opts.quiet === true;
  const seed = opts.seed ?? scenario.settings.seed ?? randomSeed();
  const keySalt = opts.keySalt ?? randomKeySalt();
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
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    io.stderr('\ninterrupting: finishing requests in flight and writing a partial report (Ctrl-C again to quit now)\n');
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
    const auditOpts: Parameters<typeof runAudit>[0] = {
      scenario,
      attacks,
      observers,
      seed,
      keySalt,
      signal: controller.signal,
      onEvent: (e) => reports.emit(e),
      reproCommand: (attack, endpoint) => `${reproPrefix} --only ${attack} --endpoint ${endpoint}`,
      toolVersion: packageVersion(),
    };
    if (opts.only) auditOpts.only = opts.only;
    if (opts.skip) auditOpts.skip = opts.skip;
    if (opts.endpoint) auditOpts.endpoints = opts.endpoint;
    if (opts.failOn) auditOpts.failOn = opts.failOn;
    if (opts.maxRequests !== undefined) auditOpts.maxRequests = opts.maxRequests;
    if (opts.maxWait !== undefined) auditOpts.maxWaitMs = opts.maxWait;
    Object.assign(auditOpts, rails.auditOptions);
    if (opts.shard) auditOpts.shard = opts.shard;
    // report.json records the slice, so `merge` can tell when a shard is missing.
    const result = withShard(await runAudit(auditOpts), opts.shard);
    const exitCode = exitCodeOf(result);
    await reports.end(result, exitCode);
    return exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await reports.close();
  }
}
