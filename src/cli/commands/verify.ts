/**
 * `idem-audit verify <report.json>`: judges the checks a run left pending (ttl-probe's planted
 * keys, for a TTL longer than the run could wait) once they are due, and writes the updated
 * report. It runs the attacks that left them, on their endpoints, with the checks handed back:
 * the same preparation and host policy as `run` (engine/prepare-run.ts), the endpoints' observers,
 * the reporters, Ctrl-C. Credentials come from the scenario file named in the report (or
 * --scenario) and the current environment, since the report holds only `[REDACTED]`.
 *
 * The updated report is the whole audit with those cells replaced (cli/verify-result.ts), and the
 * exit code is that report's, as `run` would give it. Checks not due yet stay pending; checks
 * whose replay could not be judged (the target down) stay pending too, so a later verify can still
 * judge them. The report given is never written to.
 */
import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { attacks } from '../../attacks/index.js';
import { loadScenario } from '../../config/index.js';
import { extensionSchemas } from '../../engine/extension-schemas.js';
import { prepareRun, type PlannedAttack } from '../../engine/prepare-run.js';
import { executePlan } from '../../engine/run-audit.js';
import { UsageError } from '../../errors/errors.js';
import { observers } from '../../observers/index.js';
import type { AuditResult } from '../../result/result.js';
import { selectReporters } from '../../reporters/select-reporters.js';
import { exitCodeOf, EXIT } from '../../verdict/exit-codes.js';
import { packageVersion } from '../../package-info.js';
import { list } from '../audit-options.js';
import { timestamp } from '../execute-audit.js';
import { listenForInterrupts } from '../interrupts.js';
import type { CliIo } from '../io.js';
import { readReport } from '../read-report.js';
import { reporterEnvironment, startReporting } from '../reporting.js';
import { makeReportFolder } from '../report-folder.js';
import { applyVerification, pendingCells, type PendingCell } from '../verify-result.js';

interface VerifyOptions {
  out?: string;
  scenario?: string;
  reporter?: string[];
  quiet?: boolean;
  allowProduction?: boolean;
}

/** One line per verified cell: what it came to, and the checks still pending with their due times. */
function describe(cells: readonly PendingCell[], verified: AuditResult): string {
  const lines: string[] = [];
  for (const cell of cells) {
    const r = verified.attacks.find((a) => a.endpoint === cell.endpoint && a.attack === cell.attack);
    const head = `verify: ${cell.endpoint} › ${cell.attack}: ${cell.checks.length} check${cell.checks.length === 1 ? '' : 's'}`;
    if (!r) {
      lines.push(`${head}, not run`);
      continue;
    }
    const found = r.findings > 0 ? `, ${r.findings} finding${r.findings === 1 ? '' : 's'}` : '';
    lines.push(`${head} → ${r.status}${found}${r.reason !== undefined ? ` (${r.reason})` : ''}`);
    for (const n of r.notes) lines.push(`  ${n}`);
    for (const p of r.pending ?? []) lines.push(`  pending until ${p.dueAt}: ${p.description}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerVerify(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('verify')
    .description(
      'judge the checks a run left pending (keys kept for a long TTL) once due, and write the updated report',
    )
    .argument('<report>', 'report.json of a run, or of an earlier verify')
    .option('--out <dir>', 'write the updated reports to this folder (default: reports/<scenario>-verify-<timestamp>)')
    .option('--scenario <file>', 'scenario file to take credentials and observers from (default: the report’s)')
    .option('--reporter <list>', 'outputs to write (default: all)', list)
    .option('--quiet', 'print nothing but errors on the terminal')
    .option('--allow-production', 'allow a target declared target.environment: production')
    .action(async (file: string, opts: VerifyOptions) => {
      const quiet = opts.quiet === true;
      const selected = selectReporters(opts.reporter, reporterEnvironment(io, { quiet, live: true }));
      const report = readReport(file, io.cwd);
      const cells = pendingCells(report);
      const malformed = cells.reduce((n, c) => n + c.malformed, 0);
      if (malformed > 0) io.stderr(`warning: ${malformed} pending entries of ${file} are not checks; ignored\n`);
      if (cells.every((c) => c.checks.length === 0)) {
        io.stdout('the report has no pending check to verify\n');
        setExit(EXIT.clean);
        return;
      }
      const scenarioFile = opts.scenario === undefined ? report.scenario.file : resolve(io.cwd, opts.scenario);
      const scenario = await loadScenario(scenarioFile, extensionSchemas(), io.env);
      // The checks name their endpoint and attack: the scenario must still have both, and the host
      // policy is checked before anything is sent, exactly as for run.
      const plan = prepareRun(
        scenario,
        {
          only: [...new Set(cells.map((c) => c.attack))],
          endpoints: [...new Set(cells.map((c) => c.endpoint))],
          seed: report.seed,
          allowProduction: opts.allowProduction === true,
          env: io.env,
        },
        { attacks, observers },
        (o) => (o === 'endpoints' ? `pending checks of ${file}` : `pending checks of ${file} (attack)`),
      );
      const planned: PlannedAttack[] = cells.flatMap((c) => {
        const endpoint = scenario.endpoints.find((e) => e.name === c.endpoint);
        const attack = attacks[c.attack];
        if (!endpoint || !attack || c.checks.length === 0) return [];
        const options = endpoint.attacks.find((a) => a.id === c.attack)?.options ?? attack.meta.options.parse({});
        return [{ endpoint, attack, options, deferred: c.checks }];
      });
      if (planned.length === 0) throw new UsageError(`nothing of ${file} can be verified with ${scenarioFile}`);

      const dir = resolve(io.cwd, opts.out ?? join('reports', `${scenario.name}-verify-${timestamp(new Date())}`));
      makeReportFolder(dir);
      const reports = startReporting(selected, dir, io);
      const interrupts = listenForInterrupts(io);
      try {
        if (!quiet)
          io.stderr(
            `idem-audit: verifying ${planned.reduce((n, p) => n + (p.deferred?.length ?? 0), 0)} pending check(s) of ${file} against ${scenario.target.baseUrl}\n`,
          );
        const verified = await executePlan(
          { ...plan, cells: planned },
          {
            signal: interrupts.signal,
            onEvent: (e) => reports.emit(e),
            reproCommand: (attack, endpoint) =>
              `idem-audit run ${scenarioFile} --only ${attack} --endpoint ${endpoint}`,
            toolVersion: packageVersion(),
          },
        );
        const updated = applyVerification(report, verified);
        const exitCode = exitCodeOf(updated);
        if (!quiet) io.stdout(describe(cells, verified));
        await reports.end(updated, exitCode);
        // What kept this verify from judging, and whether the audit as a whole now judged nothing
        // (the verify run's own "nothing audited" says little when the report's other cells did).
        const errors = [
          ...verified.errors.filter((e) => e.code !== 'IDEM_NOTHING_AUDITED'),
          ...updated.errors.filter((e) => e.code === 'IDEM_NOTHING_AUDITED'),
        ];
        for (const e of errors) io.stderr(`error: ${e.message} [${e.code}]${e.hint ? `\nhint: ${e.hint}` : ''}\n`);
        setExit(exitCode);
      } finally {
        interrupts.dispose();
        await reports.close();
      }
    });
}
