/**
 * `idem-audit baseline`: writes the baseline file for a report, so a later run with
 * `--baseline FILE` accepts the findings it has now (each with the reason and the expiry date
 * given here) and fails only on new ones.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { IdemAuditError, UsageError } from '../../errors/errors.js';
import { baselineOf, isCalendarDay } from '../../verdict/baseline.js';
import { EXIT } from '../../verdict/exit-codes.js';
import type { CliIo } from '../io.js';
import { readReport } from '../read-report.js';

/** Where the baseline goes without --out: beside the scenario files, to be committed. */
export const DEFAULT_BASELINE_FILE = 'idem-audit-baseline.json';

interface BaselineOptions {
  out: string;
  reason?: string;
  expires?: string;
}

export function registerBaseline(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('baseline')
    .description("write a baseline of a report's findings: runs with --baseline FILE then fail only on new ones")
    .argument('<report>', 'report.json of a run')
    .option('--out <file>', 'the baseline file to write', DEFAULT_BASELINE_FILE)
    .option('--reason <text>', 'why these findings are accepted for now (kept with each entry, shown in every report)')
    .option('--expires <YYYY-MM-DD>', 'last day the entries hold; after it the findings fail the run again')
    .action((file: string, opts: BaselineOptions) => {
      if (opts.expires !== undefined && !isCalendarDay(opts.expires))
        throw new UsageError(
          `--expires must be a date as YYYY-MM-DD, got '${opts.expires}'`,
          'e.g. --expires 2026-12-31',
        );
      if (opts.reason !== undefined && opts.reason.length > 2000)
        throw new UsageError('--reason is limited to 2000 characters');
      const report = readReport(file, io.cwd);
      const baseline = baselineOf(report, {
        createdAt: new Date(),
        ...(opts.reason === undefined ? {} : { reason: opts.reason }),
        ...(opts.expires === undefined ? {} : { expires: opts.expires }),
      });
      const out = resolve(io.cwd, opts.out);
      try {
        writeFileSync(out, `${JSON.stringify(baseline, null, 2)}\n`);
      } catch (err) {
        throw new IdemAuditError('IDEM_REPORT_WRITE_FAILED', `cannot write ${out}: ${(err as Error).message}`);
      }
      const n = baseline.entries.length;
      io.stdout(
        `wrote ${n} baseline entr${n === 1 ? 'y' : 'ies'} to ${relative(io.cwd, out) || out}; pass it to runs with --baseline\n`,
      );
      setExit(EXIT.clean);
    });
}
