/**
 * The CLI's side of the reporters: the environment that decides which run (--quiet, a TTY, CI,
 * GitHub Actions), and one run of the selected reporters writing into the report folder.
 */
import { runReporters, type ReporterRun } from '../reporters/run-reporters.js';
import type { ReporterDefinition, ReporterEnvironment } from '../reporters/types.js';
import { useColor, type CliIo } from './io.js';
import { packageVersion } from '../package-info.js';
import { reportFolder } from './report-folder.js';

export function reporterEnvironment(
  io: CliIo,
  o: { quiet: boolean; live: boolean },
  stderr: { isTTY?: boolean } = process.stderr,
): ReporterEnvironment {
  return { env: io.env, quiet: o.quiet, live: o.live, interactive: io.isTTY && stderr.isTTY === true };
}

export interface Reporting extends ReporterRun {
  /** merge's replay waits on it, so a fast reader cannot fill memory ahead of the disk. */
  drained(): Promise<void> | undefined;
  /** After end(), or instead of it when the command failed: releases the reporters and closes every file. Never throws. */
  close(): Promise<void>;
}

export function startReporting(
  selected: readonly ReporterDefinition[],
  dir: string,
  io: CliIo,
  stderr: NodeJS.WriteStream = process.stderr,
): Reporting {
  const folder = reportFolder(dir, io, stderr.isTTY === true ? stderr : undefined);
  const run = runReporters(selected, {
    out: folder,
    color: useColor(io),
    reportDir: dir,
    cwd: io.cwd,
    toolVersion: packageVersion(),
  });
  return {
    emit: (event) => run.emit(event),
    wantsExchanges: run.wantsExchanges,
    end: (result, exitCode) => run.end(result, exitCode),
    abort: () => run.abort(),
    drained: () => folder.drained(),
    async close() {
      await run.abort();
      await folder.close();
    },
  };
}
