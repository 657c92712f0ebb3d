/**
 * The wording every report uses for a finding's baseline entry and for the variables its curl
 * reproduction reads, so the terminal, HTML, markdown and JUnit say the same thing.
 */
import type { FindingBaseline, ShellVariable } from '../findings/finding.js';

/** One sentence on the finding's baseline entry. */
export function baselineNote(b: FindingBaseline): string {
  const reason = b.reason === undefined ? '' : `: ${b.reason}`;
  if (b.expired) return `baseline entry expired on ${b.expires ?? '?'}, so it fails again${reason}`;
  return `in the baseline, not failing${b.expires === undefined ? '' : ` until ${b.expires}`}${reason}`;
}

/** The short marker beside a finding's title. */
export function baselineMarker(b: FindingBaseline): string {
  return b.expired ? 'baseline expired' : 'baseline';
}

/** What to export before running the curl lines; undefined when they read no variable. */
export function exportNote(env: readonly ShellVariable[] | undefined): string | undefined {
  if (env === undefined || env.length === 0) return undefined;
  return `before running the curl lines, export ${env.map((v) => `${v.name} (${v.meaning})`).join(', ')}`;
}
