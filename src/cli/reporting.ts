/**
 * Which reports a run writes, and where: files into the report folder, the terminal report to
 * stdout, and — inside GitHub Actions — the markdown step summary and `::error` annotations so
 * the failing check says why without opening an artifact.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AuditResult } from '../result/result.js';
import { UsageError, IdemAuditError } from '../errors/errors.js';
import { atLeast } from '../scenario/severity.js';
import { writeHar } from '../reporters/har.js';
import { reporters } from '../reporters/index.js';
import { renderMarkdown } from '../reporters/markdown.js';
import type { RenderContext } from '../reporters/types.js';
import { useColor, type CliIo } from './io.js';
import { packageVersion } from '../package-info.js';

/** The HAR is streamed from the event log rather than rendered from the result, so it lives here. */
export const HAR_FILE = 'traffic.har';
const STREAMED = ['har'];

export function reporterIds(): string[] {
  return [...Object.keys(reporters), ...STREAMED].sort();
}

export function selectReporters(list: readonly string[] | undefined): Set<string> {
  if (!list || list.length === 0) return new Set(reporterIds());
  const known = reporterIds();
  for (const id of list)
    if (!known.includes(id)) throw new UsageError(`--reporter: unknown reporter '${id}'`, `known: ${known.join(', ')}`);
  return new Set(list);
}

export interface WriteReportsOptions {
  dir: string;
  exitCode: number;
  selected: ReadonlySet<string>;
  quiet: boolean;
  /** Event logs to build the HAR from (one per shard when merging). */
  eventFiles: readonly string[];
}

export async function writeReports(result: AuditResult, o: WriteReportsOptions, io: CliIo): Promise<void> {
  const ctx: RenderContext = { color: useColor(io), reportDir: o.dir, exitCode: o.exitCode };
  const write = (file: string, text: string): void => {
    try {
      writeFileSync(join(o.dir, file), text);
    } catch (err) {
      throw new IdemAuditError(
        'IDEM_REPORT_WRITE_FAILED',
        `cannot write ${join(o.dir, file)}: ${(err as Error).message}`,
      );
    }
  };
  for (const [id, reporter] of Object.entries(reporters)) {
    if (!o.selected.has(id) || reporter.meta.destination === 'stdout') continue;
    write(reporter.meta.destination, reporter.render(result, ctx));
  }
  if (o.selected.has('har')) {
    const files = o.eventFiles.filter((f) => existsSync(f));
    try {
      await writeHar(files, join(o.dir, HAR_FILE), packageVersion());
    } catch (err) {
      throw new IdemAuditError('IDEM_REPORT_WRITE_FAILED', `cannot write ${HAR_FILE}: ${(err as Error).message}`);
    }
  }
  if (o.selected.has('terminal') && !o.quiet) io.stdout(reporters['terminal']?.render(result, ctx) ?? '');
  if (io.env['GITHUB_ACTIONS'] === 'true') githubOutputs(result, o.exitCode, io);
}

/** GitHub's workflow-command escaping: data and property values differ. */
function ghData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function ghProperty(text: string): string {
  return ghData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function githubAnnotations(result: AuditResult, cwd: string): string {
  const file = relative(cwd, result.scenario.file) || result.scenario.file;
  return result.findings
    .filter((f) => atLeast(f.severity, result.failOn))
    .map(
      (f) =>
        `::error file=${ghProperty(file)},title=${ghProperty(`idem-audit ${f.severity}: ${f.kind} on ${f.endpoint}`)}::${ghData(`${f.title}: ${f.message}\nreproduce: ${f.reproduce.command}`)}\n`,
    )
    .join('');
}

function githubOutputs(result: AuditResult, exitCode: number, io: CliIo): void {
  const summary = io.env['GITHUB_STEP_SUMMARY'];
  if (summary) {
    try {
      appendFileSync(summary, renderMarkdown(result, exitCode));
    } catch (err) {
      io.stderr(`idem-audit: cannot write the step summary ${summary}: ${(err as Error).message}\n`);
    }
  }
  io.stdout(githubAnnotations(result, io.cwd));
}
