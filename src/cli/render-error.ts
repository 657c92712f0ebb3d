/**
 * Turns any error into what the user sees. IdemAuditErrors get their message and hint, and
 * scenario errors list every issue. Anything else is a bug in idem-audit and says so.
 */
import { IdemAuditError, ScenarioError, formatScenarioIssue } from '../errors/errors.js';

export function renderError(err: unknown, debug = false): string {
  if (err instanceof ScenarioError) {
    const lines = err.issues.map((i) => `  ${formatScenarioIssue(i)}`);
    const head =
      err.issues.length === 1 ? 'error: invalid scenario' : `error: ${err.issues.length} problems in the scenario`;
    // A missing or unreadable file has no fields to fix: its issue line says what to check.
    const hint = err.code === 'IDEM_SCENARIO_NOT_FOUND' ? undefined : err.hint;
    return [`${head} [${err.code}]`, ...lines, ...(hint ? [`hint: ${hint}`] : [])].join('\n');
  }
  if (err instanceof IdemAuditError) {
    return [
      `error: ${err.message} [${err.code}]`,
      ...(err.hint ? [`hint: ${err.hint}`] : []),
      ...(debug && err.stack ? [err.stack] : []),
    ].join('\n');
  }
  const detail = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
  return `internal error: ${detail}\nThis is a bug in idem-audit; rerun with --debug and report it.`;
}
