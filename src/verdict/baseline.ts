/**
 * Baselines: findings a team has accepted for now, which must not fail the run but must not
 * disappear either. A baseline is a list of fingerprints, each with an optional reason and expiry
 * date; `--baseline FILE` takes such a file (`idem-audit baseline` writes one) or a report.json,
 * whose findings are then all known. The run marks each finding the baseline knows (`baseline`
 * on the finding, once, as it is reported); `failsRun` leaves the marked ones out while their
 * entry holds, so the exit code, JUnit, annotations and every summary follow. An expired entry
 * marks its finding as expired: it fails again, and the reports say why.
 */
import { z } from 'zod';
import { UsageError } from '../errors/errors.js';
import type { Finding, FindingBaseline } from '../findings/finding.js';
import { SEVERITIES } from '../scenario/severity.js';

/** `baselineVersion` of the files `idem-audit baseline` writes. */
export const BASELINE_VERSION = 1;

const day = z
  .string()
  .refine(isCalendarDay, { message: 'expected a date as YYYY-MM-DD (the last day the entry holds)' });

const entrySchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/, 'expected the 16 hex digits of a finding fingerprint'),
  kind: z.string(),
  attack: z.string(),
  endpoint: z.string(),
  severity: z.enum(SEVERITIES),
  title: z.string().optional(),
  reason: z.string().max(2000).optional(),
  expires: day.optional(),
});

export type BaselineEntry = z.infer<typeof entrySchema>;

const fileSchema = z.object({
  baselineVersion: z.literal(BASELINE_VERSION),
  scenario: z.string(),
  createdAt: z.string(),
  entries: z.array(entrySchema).max(100_000),
});

export type BaselineFile = z.infer<typeof fileSchema>;

/** The part of a report.json a baseline is taken from. */
const reportSchema = z.object({
  schemaVersion: z.number(),
  scenario: z.object({ name: z.string() }),
  findings: z
    .array(
      entrySchema
        .omit({ reason: true, expires: true })
        .extend({ baseline: z.object({ reason: z.string().optional(), expires: day.optional() }).optional() }),
    )
    .max(100_000),
});

export interface Baseline {
  /** The file it was read from, for reports. */
  file?: string;
  /** The scenario it was made for. */
  scenario: string;
  entries: readonly BaselineEntry[];
}

/** True for a real YYYY-MM-DD date (not 2026-02-30). */
export function isCalendarDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().startsWith(text);
}

/** The UTC calendar day of `date`: entries are judged by the day the run started. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function problems(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`)
    .join('; ');
}

/** A baseline from the parsed JSON of a baseline file or a report.json; a UsageError naming `file` otherwise. */
export function parseBaseline(data: unknown, file: string): Baseline {
  const isFile = typeof data === 'object' && data !== null && 'baselineVersion' in data;
  if (isFile) {
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success)
      throw new UsageError(
        `--baseline: ${file} is not a valid baseline: ${problems(parsed.error)}`,
        'write one with: idem-audit baseline <report.json>',
      );
    return { file, scenario: parsed.data.scenario, entries: parsed.data.entries };
  }
  const report = reportSchema.safeParse(data);
  if (!report.success)
    throw new UsageError(
      `--baseline: ${file} is neither a baseline nor an idem-audit report.json (${problems(report.error)})`,
      'pass a report.json of an earlier run, or a file written by: idem-audit baseline <report.json>',
    );
  return {
    file,
    scenario: report.data.scenario.name,
    entries: report.data.findings.map(({ baseline, ...f }) => ({ ...f, ...baseline })),
  };
}

/** The baseline file for a report: every finding, keeping what an earlier baseline said of it unless overridden. */
export function baselineOf(
  report: { scenario: { name: string }; findings: readonly Finding[] },
  o: { reason?: string; expires?: string; createdAt: Date },
): BaselineFile {
  const seen = new Set<string>();
  const entries: BaselineEntry[] = [];
  for (const f of report.findings) {
    // A fingerprint twice (two findings of one flaw) is one entry: it covers both.
    if (seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    const reason = o.reason ?? f.baseline?.reason;
    const expires = o.expires ?? f.baseline?.expires;
    entries.push({
      fingerprint: f.fingerprint,
      kind: f.kind,
      attack: f.attack,
      endpoint: f.endpoint,
      severity: f.severity,
      title: f.title,
      ...(reason === undefined ? {} : { reason }),
      ...(expires === undefined ? {} : { expires }),
    });
  }
  return {
    baselineVersion: BASELINE_VERSION,
    scenario: report.scenario.name,
    createdAt: o.createdAt.toISOString(),
    entries,
  };
}

/** Looks findings up in a baseline, judging expiry on `today` (YYYY-MM-DD, UTC). */
export function baselineMatcher(
  baseline: Baseline,
  today: string,
): (fingerprint: string) => FindingBaseline | undefined {
  const byFingerprint = new Map(baseline.entries.map((e) => [e.fingerprint, e]));
  return (fingerprint) => {
    const e = byFingerprint.get(fingerprint);
    if (!e) return undefined;
    return {
      ...(e.reason === undefined ? {} : { reason: e.reason }),
      ...(e.expires === undefined ? {} : { expires: e.expires }),
      // The expiry day itself still holds.
      expired: e.expires !== undefined && e.expires < today,
    };
  };
}

/** Known, and its entry still holds: the finding is reported but does not fail the run. */
export function inBaseline(f: { baseline?: FindingBaseline | undefined }): boolean {
  return f.baseline !== undefined && !f.baseline.expired;
}
