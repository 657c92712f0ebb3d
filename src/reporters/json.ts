/**
 * report.json: the machine-readable result. Its top-level shape (schemaVersion, status,
 * findings[] with attack, endpoint, severity, kind, fingerprint) is a promise to CI scripts.
 */
import type { AuditResult } from '../result/result.js';
import { resultReporter } from './result-reporter.js';

export function renderJson(result: AuditResult, exitCode: number): string {
  return `${JSON.stringify({ ...result, exitCode }, null, 2)}\n`;
}

export const jsonReporter = resultReporter(
  {
    id: 'json',
    description: 'The full result as JSON (versioned schema).',
    destination: 'report.json',
    selectable: true,
    byDefault: true,
  },
  (result, ctx) => renderJson(result, ctx.exitCode),
);
