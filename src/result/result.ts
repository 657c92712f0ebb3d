/** The result object every reporter renders and the programmatic API returns. */
import type { Finding } from '../findings/finding.js';
import type { PendingCheck } from '../findings/pending-check.js';
import type { HookRun } from '../hooks/types.js';
import type { Severity } from '../scenario/severity.js';
import type { SyncModeStats } from '../http/sync/stats.js';
import type { Contract, JsonValue } from '../scenario/types.js';

export const REPORT_SCHEMA_VERSION = 1;

/**
 * passed: audited, nothing wrong. failed: findings. skipped: not applicable.
 * inconclusive / error: could not be audited (counts toward exit code 3).
 */
export type AttackStatus = 'passed' | 'failed' | 'skipped' | 'inconclusive' | 'error';

export interface BurstStat {
  id: number;
  size: number;
  /** The synchronisation the burst was released with. */
  sync?: string;
  releaseSpreadMs: number | undefined;
  arrivalSpreadMs: number | undefined;
  /** Measured quiet period before the release (ms), for last-byte and barrier bursts. */
  quietMs?: number;
  /** One row per request, for the HTML timeline; absent in reports written before it existed. */
  timeline?: BurstTimelineRow[];
}

/**
 * Client times are ms relative to the burst's first queued request; `arrival` is ms relative to
 * the earliest server-reported arrival in the burst (the target's clock, so only its spread is
 * comparable with the client's times).
 */
export interface BurstTimelineRow {
  label: string;
  sent?: number;
  headers?: number;
  done?: number;
  arrival?: number;
  /** HTTP status, or the transport error code. */
  outcome: string;
}

export interface AttackResult {
  attack: string;
  endpoint: string;
  title: string;
  status: AttackStatus;
  /** Why skipped / inconclusive / error. */
  reason?: string;
  notes: string[];
  /** Structured measurements an attack recorded with ctx.metric (e.g. latency-overhead's percentiles). */
  metrics?: Record<string, JsonValue>;
  requests: number;
  durationMs: number;
  findings: number;
  bursts: BurstStat[];
  /**
   * Checks left for a later `idem-audit verify` (e.g. ttl-probe's keys that must still be
   * remembered hours from now), each with its due time. Absent when none.
   */
  pending?: PendingCheck[];
  /** The scenario hooks this attack ran, and the restores after it; absent when none ran. */
  hooks?: HookRun[];
}

/** A problem that kept part of the run from auditing, with the code of the error class behind it. */
export interface RunError {
  code: string;
  message: string;
  /** What to do about it, when there is something to do. */
  hint?: string;
}

export interface EndpointLocation {
  name: string;
  line: number;
  col: number;
}

export type RunStatus = 'completed' | 'interrupted' | 'incomplete';

export interface AuditResult {
  schemaVersion: number;
  tool: { name: string; version: string };
  scenario: {
    name: string;
    file: string;
    /** Where each endpoint is declared in the file (SARIF locations); absent for scenarios not loaded from a file. */
    endpoints?: EndpointLocation[];
  };
  target: { baseUrl: string; nodes: readonly string[] };
  contract: Contract;
  status: RunStatus;
  seed: number;
  /** The salt of this run's keys (see AuditOptions.keySalt); absent when merged shards used different ones. */
  keySalt?: string;
  failOn: Severity;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  requests: number;
  summary: {
    findings: Record<Severity, number>;
    attacks: Record<AttackStatus, number>;
  };
  attacks: AttackResult[];
  findings: Finding[];
  /**
   * Timing of every burst of the run per synchronisation mode (Kettle's statistics over the
   * release and server-arrival spreads); absent when the run released no burst.
   */
  burstStats?: Record<string, SyncModeStats>;
  /** The slice of the endpoint × attack matrix this run covered (`--shard i/n`); `merge` checks the set is whole. */
  shard?: { index: number; count: number };
  /** Problems that stopped part of the audit (unreachable node, exhausted budget…). */
  errors: RunError[];
  /** The baseline the run was judged against (`--baseline`); its matches are marked on the findings. */
  baseline?: { file?: string; entries: number };
  /** The `idem-audit verify` runs folded into this report, oldest first; absent when none. */
  verifications?: { at: string; requests: number; status: RunStatus }[];
  /** Hooks the run itself ran on its way out to restore what an attack left broken; absent when none. */
  hooks?: HookRun[];
}
