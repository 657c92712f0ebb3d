/**
 * Runs an audit for the CLI: seed choice, Ctrl-C handling, the event log, the reports, and the
 * exit code. Shared by `run` and `demo` so both behave identically.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { attacks } from '../attacks/index.js';
import { runAudit, exitCodeOf } from '../engine/run-audit.js';
import { randomSeed } from '../engine/rng.js';
import { IdemAuditError } from '../errors/errors.js';
import { observers } from '../observers/index.js';
import { EventLog } from '../reporters/event-log.js';
import { reporters } from '../reporters/index.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { AuditCliOptions } from './audit-options.js';
import { validateAttackIds } from './audit-options.js';
import { useColor, type CliIo } from './io.js';
import { packageVersion } from './package-info.js';

function timestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
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
  const seed = opts.seed ?? scenario.settings.seed ?? randomSeed();
  const dir = resolve(io.cwd, opts.out ?? join('reports', `${scenario.name}-${timestamp(new Date())}`));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new IdemAuditError(
      'IDEM_REPORT_WRITE_FAILED',
      `cannot create the report folder ${dir}: ${(err as Error).message}`,
    );
  }
  const events = new EventLog(join(dir, 'events.ndjson'));

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
    io.stderr(`idem-audit: auditing ${scenario.target.baseUrl} (${scenario.name}), seed ${seed}${only}\n`);
    const auditOpts: Parameters<typeof runAudit>[0] = {
      scenario,
      attacks,
      observers,
      seed,
      signal: controller.signal,
      onEvent: (e) => events.write(e),
      reproCommand: (attack, endpoint) => `${reproPrefix} --only ${attack} --endpoint ${endpoint}`,
      toolVersion: packageVersion(),
    };
    if (opts.only) auditOpts.only = opts.only;
    if (opts.skip) auditOpts.skip = opts.skip;
    if (opts.endpoint) auditOpts.endpoints = opts.endpoint;
    if (opts.failOn) auditOpts.failOn = opts.failOn;
    if (opts.maxRequests !== undefined) auditOpts.maxRequests = opts.maxRequests;
    const result = await runAudit(auditOpts);
    const exitCode = exitCodeOf(result);
    await events.close();
    const ctx = { color: useColor(io), reportDir: dir, exitCode };
    try {
      writeFileSync(
        join(dir, reporters['json']?.meta.destination ?? 'report.json'),
        reporters['json']?.render(result, ctx) ?? '',
      );
    } catch (err) {
      throw new IdemAuditError('IDEM_REPORT_WRITE_FAILED', `cannot write ${dir}: ${(err as Error).message}`);
    }
    io.stdout(reporters['terminal']?.render(result, ctx) ?? '');
    return exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await events.close().catch(() => undefined);
  }
}
