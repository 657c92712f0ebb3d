/** The result object every reporter renders and the programmatic API returns. */
import type { Finding } from '../findings/finding.js';
import type { Severity } from '../findings/severity.js';
import type { Contract } from '../scenario/types.js';

export const REPORT_SCHEMA_VERSION = 1;

/**
 * passed: audited, nothing wrong. failed: findings. skipped: not applicable.
 * inconclusive / error: could not be audited (counts toward exit code 3).
 */
export type AttackStatus = 'passed' | 'failed' | 'skipped' | 'inconclusive' | 'error';

export interface BurstStat {
  id: number;
  size: number;
  releaseSpreadMs: number | undefined;
  arrivalSpreadMs: number | undefined;
}

export interface AttackResult {
  attack: string;
  endpoint: string;
  title: string;
  status: AttackStatus;
  /** Why skipped / inconclusive / error. */
  reason?: string;
  notes: string[];
  requests: number;
  durationMs: number;
  findings: number;
  bursts: BurstStat[];
}

export type RunStatus = 'completed' | 'interrupted' | 'incomplete';

export interface AuditResult {
  schemaVersion: number;
  tool: { name: string; version: string };
  scenario: { name: string; file: string };
  target: { baseUrl: string; nodes: readonly string[] };
  contract: Contract;
  status: RunStatus;
  seed: number;
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
  /** Problems that stopped part of the audit (unreachable node, exhausted budget…). */
  errors: { code: string; message: string }[];
}
