/**
 * Reads a report.json written by `run`, `demo` or `merge` back into an AuditResult, for merge
 * and replay. Checks the shape the rest of the code relies on, so a wrong file fails with a
 * clear usage error rather than a crash half-way.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPORT_SCHEMA_VERSION, type AuditResult } from '../result/result.js';
import { UsageError } from '../errors/errors.js';
import { SEVERITIES } from '../scenario/severity.js';
import { parseBaseline, type Baseline } from '../verdict/baseline.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): boolean => typeof v === 'string';
const STATUSES: readonly unknown[] = ['completed', 'incomplete', 'interrupted'];

/** Every field merge, replay and the reporters read without a further check. */
function isReport(data: unknown): data is Record<string, unknown> {
  if (!isRecord(data) || data['schemaVersion'] !== REPORT_SCHEMA_VERSION) return false;
  const { attacks, findings, scenario, target, summary } = data;
  return (
    Array.isArray(attacks) &&
    attacks.every(
      (a) =>
        isRecord(a) &&
        str(a['attack']) &&
        str(a['endpoint']) &&
        str(a['status']) &&
        Array.isArray(a['bursts']) &&
        Array.isArray(a['notes']),
    ) &&
    Array.isArray(findings) &&
    findings.every(
      (f) =>
        isRecord(f) &&
        str(f['attack']) &&
        str(f['endpoint']) &&
        str(f['kind']) &&
        str(f['fingerprint']) &&
        (SEVERITIES as readonly unknown[]).includes(f['severity']) &&
        Array.isArray(f['exchanges']) &&
        isRecord(f['reproduce']),
    ) &&
    isRecord(scenario) &&
    str(scenario['name']) &&
    str(scenario['file']) &&
    isRecord(target) &&
    str(target['baseUrl']) &&
    isRecord(summary) &&
    (SEVERITIES as readonly unknown[]).includes(data['failOn']) &&
    STATUSES.includes(data['status']) &&
    typeof data['requests'] === 'number' &&
    str(data['startedAt']) &&
    str(data['finishedAt'])
  );
}

function readJson(file: string, cwd: string, what: string, hint: string): unknown {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${file} is not JSON`, hint);
  }
}

/** A baseline for --baseline: a file `idem-audit baseline` wrote, or a report.json. */
export function readBaseline(file: string, cwd: string): Baseline {
  const hint = 'pass a report.json of an earlier run, or a file written by: idem-audit baseline <report.json>';
  return parseBaseline(readJson(file, cwd, 'baseline', hint), file);
}

export function readReport(file: string, cwd: string): AuditResult {
  const data = readJson(file, cwd, 'report', 'pass the report.json an idem-audit run wrote');
  if (!isReport(data)) {
    throw new UsageError(
      `${file} is not an idem-audit report (schema version ${REPORT_SCHEMA_VERSION})`,
      'pass the report.json an idem-audit run wrote',
    );
  }
  // The shape above is what idem-audit itself wrote; deeper fields are trusted from here on.
  const { exitCode: _exit, ...result } = data;
  return result as unknown as AuditResult;
}
