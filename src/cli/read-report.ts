/**
 * Reads a report.json written by `run`, `demo` or `merge` back into an AuditResult, for merge
 * and replay. Checks the shape the rest of the code relies on, so a wrong file fails with a
 * clear usage error rather than a crash half-way.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPORT_SCHEMA_VERSION, type AuditResult } from '../engine/result.js';
import { UsageError } from '../errors/errors.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readReport(file: string, cwd: string): AuditResult {
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the report ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${file} is not JSON`, 'pass the report.json an idem-audit run wrote');
  }
  if (
    !isRecord(data) ||
    data['schemaVersion'] !== REPORT_SCHEMA_VERSION ||
    !Array.isArray(data['attacks']) ||
    !Array.isArray(data['findings']) ||
    !isRecord(data['scenario']) ||
    !isRecord(data['target'])
  ) {
    throw new UsageError(
      `${file} is not an idem-audit report (schema version ${REPORT_SCHEMA_VERSION})`,
      'pass the report.json an idem-audit run wrote',
    );
  }
  // The shape above is what idem-audit itself wrote; deeper fields are trusted from here on.
  const { exitCode: _exit, ...result } = data;
  return result as unknown as AuditResult;
}
