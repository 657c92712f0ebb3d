/**
 * The reporter extension point, modelled on Vitest's reporters: one object per run with optional
 * lifecycle hooks, fed by the runner (run-reporters.ts). Reporters never touch the process or
 * the file system: everything they write goes through the `ReportOutput` the caller gives them,
 * so a test hands them an in-memory one (__fixtures__/memory-output.ts).
 */
import type { RunEvent } from '../result/events.js';
import type { AttackResult, AuditResult } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import type { Exchange } from '../http/exchange.js';

export type RunStartEvent = Extract<RunEvent, { type: 'run-start' }>;
export type AttackStartEvent = Extract<RunEvent, { type: 'attack-start' }>;

/**
 * One run's reporter. Hooks come in the order things happened. The hooks during the run must not
 * make the audit wait (bursts are timed): they write through the output's buffered streams, and a
 * promise they return is only awaited before `onRunEnd`.
 */
export interface Reporter {
  /**
   * The run begins (before the first request). `merge` replays each shard's log, so it calls
   * this once per shard: every call starts the exchanges that follow it.
   */
  onRunStart?(event: RunStartEvent): void | Promise<void>;
  onAttackStart?(event: AttackStartEvent): void | Promise<void>;
  /** Every request the run sent, recorded and redacted, as it completes. */
  onExchange?(exchange: Exchange): void | Promise<void>;
  /** A finding, as soon as the attack reports it. */
  onFinding?(finding: Finding): void | Promise<void>;
  onAttackEnd?(result: AttackResult): void | Promise<void>;
  /** The run is over (completed, interrupted or incomplete): write the outputs. */
  onRunEnd?(result: AuditResult, exitCode: number): void | Promise<void>;
  /**
   * The run ended without a result (it could not audit at all, or idem-audit failed): release what
   * is held; no report is due. Called instead of onRunEnd.
   */
  onRunFailed?(): void | Promise<void>;
}

export interface ReporterMeta {
  id: string;
  /** One line for `idem-audit list reporters`; says when a reporter not chosen with --reporter runs. */
  description: string;
  /** Where the output goes, for `list` and error messages: a file in the report folder, 'stdout' or 'stderr'. */
  destination: string;
  /** `--reporter` accepts the id. The others run by their own rule (`enabled`) whatever --reporter says. */
  selectable: boolean;
  /** Runs when --reporter is not given (for the others: when `enabled` allows it). */
  byDefault: boolean;
}

/** What, besides --reporter, decides whether a reporter runs. */
export interface ReporterEnvironment {
  /** Environment variables (CI, GITHUB_ACTIONS). */
  env: Readonly<Record<string, string | undefined>>;
  /** --quiet: the terminal shows nothing but errors. */
  quiet: boolean;
  /** stdout and stderr are both interactive terminals. */
  interactive: boolean;
  /** An audit is running; false for `merge`, which only replays the shards' logged exchanges. */
  live: boolean;
}

/** A registry entry: describes a reporter and creates it for one run. */
export interface ReporterDefinition {
  meta: ReporterMeta;
  /** Whether it runs in this environment; absent means always when selected. */
  enabled?(env: ReporterEnvironment): boolean;
  create(ctx: ReporterContext): Reporter;
  /** The pure renderer behind a result-shaped format (see result-reporter.ts), for tests and API users. */
  render?(result: AuditResult, ctx: RenderContext): string;
}

export interface ReporterContext {
  out: ReportOutput;
  color: boolean;
  /** The report folder as shown to the user (the terminal report points at it); undefined when there is none. */
  reportDir: string | undefined;
  /** The directory the user ran the command in, for paths shown relative to it. */
  cwd: string;
  /** idem-audit's version, for formats that name their creator. */
  toolVersion: string;
}

/** The caller's side of a reporter: where its output goes. */
export interface ReportOutput {
  /** Writes a whole file into the report folder; `name` is a plain file name. */
  writeFile(name: string, text: string): Promise<void>;
  /** Opens a file in the report folder for writing piece by piece, in order, without holding the run in memory. */
  openStream(name: string): OutputStream;
  stdout(text: string): void;
  stderr(text: string): void;
  env(name: string): string | undefined;
  /** Appends to the file an environment variable names (GitHub's file commands, e.g. GITHUB_STEP_SUMMARY). */
  appendToEnvFile(variable: string, text: string): Promise<void>;
  /** stderr, when it is an interactive terminal a live display may redraw; undefined otherwise. */
  terminal: NodeJS.WriteStream | undefined;
}

export interface OutputStream {
  /** Queues text; a write error surfaces at close(). */
  write(text: string): void;
  /** Flushes and closes; rejects with the first write error. Safe to call more than once. */
  close(): Promise<void>;
}

/** What a result-shaped format needs beyond the result. */
export interface RenderContext {
  color: boolean;
  /** Where the file reports were written, for the terminal to point at. */
  reportDir: string | undefined;
  exitCode: number;
}
