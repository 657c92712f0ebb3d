/**
 * What attacks see of the scenario's hooks (the commands that crash and restart the target or
 * take its key store away), and what one run of a hook came to. The run owns the commands and
 * restores what they broke; an attack only asks for them by name.
 */
import type { HookName } from '../scenario/types.js';

export type { HookName } from '../scenario/types.js';

/** One execution of a hook, as reports keep it (command and output redacted). */
export interface HookRun {
  hook: HookName;
  /** The command line as run, redacted, e.g. `docker kill payments`. */
  command: string;
  /** Exited 0 within its timeout. */
  ok: boolean;
  exitCode: number | null;
  /** The signal that ended it (SIGKILL after a timeout), if any. */
  signal: string | null;
  timedOut: boolean;
  /** Why it did not run or did not finish, in a phrase: `command not found: kubectl`, `timed out after 30000 ms`. */
  error?: string;
  durationMs: number;
  /** stdout and stderr as they arrived, capped and redacted. */
  output: string;
  /** Bytes of output produced, of which `output` may keep only the beginning and the end. */
  outputBytes: number;
  /** Why the run ran it: an attack's step, or the restore at the end of the run. */
  purpose: 'attack' | 'restore';
}

/** The hooks as an attack reaches them (`ctx.hooks`). */
export interface HookControl {
  /**
   * Why no hook may run in this run (not allowed: the flag that allows it is named), or
   * undefined when the declared hooks may run.
   */
  readonly unavailable: string | undefined;
  /** The scenario declares this hook. */
  declared(name: HookName): boolean;
  /**
   * Runs a declared hook and resolves with what happened; never rejects for a failing, hanging or
   * missing command (that is the HookRun's `error`). The run restores what it broke on its way out.
   */
  run(name: HookName): Promise<HookRun>;
}

/** One line for notes: `crash (docker kill payments): exit 0 after 180 ms`. */
export function describeHookRun(r: HookRun): string {
  const how = r.ok
    ? `exit 0 after ${r.durationMs} ms`
    : (r.error ?? `exit ${r.exitCode ?? r.signal ?? '?'} after ${r.durationMs} ms`);
  const last = lastLine(r.output);
  return `hook ${r.hook} (${r.command}): ${how}${!r.ok && last !== '' ? `; last output: ${last}` : ''}`;
}

function lastLine(output: string): string {
  const lines = output.split(/\r?\n/).filter((l) => l.trim() !== '');
  const line = lines[lines.length - 1] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
