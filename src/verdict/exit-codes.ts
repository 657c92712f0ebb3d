/**
 * The exit-code table: a public interface, CI pipelines branch on it (README "Exit codes"). Every
 * command maps its outcome here, so a code means the same thing whichever command returns it.
 */
import { IdemAuditError, type ErrorCode } from '../errors/errors.js';
import type { AuditResult } from '../result/result.js';
import type { Severity } from '../scenario/severity.js';
import { failingFindings, type JudgedFinding } from './verdict.js';

export const EXIT = {
  /** Audited, and no finding at or above fail-on. */
  clean: 0,
  /** At least one finding at or above fail-on (also: replay reproduced one). */
  findings: 1,
  /** Bad command line or scenario: nothing was sent. */
  usage: 2,
  /** Could not audit (unreachable target, observer down, nothing audited, budget or deadline hit). */
  notAudited: 3,
  /** Ctrl-C / SIGTERM: a partial report was written. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Which exit code each tool error ends a command with. */
const ERROR_EXIT: Readonly<Record<ErrorCode, ExitCode>> = {
  IDEM_USAGE: EXIT.usage,
  IDEM_SCENARIO_NOT_FOUND: EXIT.usage,
  IDEM_SCENARIO_INVALID: EXIT.usage,
  IDEM_HOST_REFUSED: EXIT.usage,
  IDEM_TARGET_UNREACHABLE: EXIT.notAudited,
  IDEM_OBSERVER_FAILED: EXIT.notAudited,
  IDEM_REQUEST_BUDGET_EXHAUSTED: EXIT.notAudited,
  IDEM_ATTACK_CRASHED: EXIT.notAudited,
  IDEM_REPORT_WRITE_FAILED: EXIT.notAudited,
  IDEM_NOTHING_AUDITED: EXIT.notAudited,
  IDEM_DEADLINE_REACHED: EXIT.notAudited,
  IDEM_SETUP_FAILED: EXIT.notAudited,
  // Never ends a command: a teardown failure is a warning in the report (docs/scenario.md, Teardown).
  IDEM_TEARDOWN_FAILED: EXIT.notAudited,
  IDEM_HOOK_FAILED: EXIT.notAudited,
  IDEM_INTERRUPTED: EXIT.interrupted,
};

export function exitCodeForError(err: unknown): ExitCode {
  return err instanceof IdemAuditError ? ERROR_EXIT[err.code] : EXIT.notAudited;
}

/**
 * Exit code of a finished audit. Interrupted wins (the run did not finish, whatever it saw);
 * then failing findings (a broken promise is reported even when the rest could not be audited);
 * then incomplete (something could not be audited); else clean.
 */
export function exitCodeOf(result: {
  status: AuditResult['status'];
  findings: readonly JudgedFinding[];
  failOn: Severity;
}): ExitCode {
  if (result.status === 'interrupted') return EXIT.interrupted;
  if (failingFindings(result).length > 0) return EXIT.findings;
  if (result.status === 'incomplete') return EXIT.notAudited;
  return EXIT.clean;
}
