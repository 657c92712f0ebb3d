/**
 * A finding: a broken promise, with everything a reader needs to believe it and reproduce it.
 * Findings are data; attacks produce them through `ctx.report`, never by throwing.
 */
import { createHash } from 'node:crypto';
import type { EffectCount } from '../observers/types.js';
import type { Exchange } from '../http/exchange.js';
import type { Severity } from '../scenario/severity.js';

export interface SideEffectVerdict {
  /** Side effects exactly-once allows for what was sent. */
  expected: number;
  /** The most pessimistic count among the observers. */
  observed: number;
  counts: readonly EffectCount[];
}

/** A shell variable a curl reproduction reads instead of a redacted secret. */
export interface ShellVariable {
  name: string;
  /** What to export it to, for the reader: never the value. */
  meaning: string;
}

export interface Reproduction {
  seed: number;
  command: string;
  /**
   * One request per line, secrets as shell variables (`env`). A burst is preceded by a comment
   * saying curl sends it one request after another, and how to release it together again.
   */
  curl: readonly string[];
  /** The variables the curl lines read; absent in reports written before they did. */
  env?: readonly ShellVariable[];
  /** True when the failure depends on timing: one replay may pass although the flaw is real. */
  timingDependent: boolean;
}

/** A finding matched by an entry of the run's baseline (`--baseline`). */
export interface FindingBaseline {
  /** Why the finding is accepted, as the entry says. */
  reason?: string;
  /** Last day (YYYY-MM-DD, UTC) the entry suppresses the finding. */
  expires?: string;
  /** The entry expired before the run: the finding fails the run again. */
  expired: boolean;
}

export interface Finding {
  attack: string;
  endpoint: string;
  /** Stable identifier of the kind of broken promise, e.g. `duplicate-write`. */
  kind: string;
  severity: Severity;
  title: string;
  message: string;
  /** Stable across runs: the same flaw found again has the same fingerprint. */
  fingerprint: string;
  expected: string;
  observed: string;
  sideEffects: SideEffectVerdict | undefined;
  exchanges: readonly Exchange[];
  remediation: string;
  references: readonly string[];
  reproduce: Reproduction;
  /** Set when the run's baseline knows this finding (see verdict/baseline.ts); absent otherwise. */
  baseline?: FindingBaseline;
}

/**
 * A finding's identity: scenario, endpoint, attack, kind and what tells two findings of that kind
 * apart (a fault, a variant, another endpoint). Never a key, a seed-drawn value or a timing, so
 * the same flaw found again, with any seed or key salt, has the same fingerprint and a baseline
 * keeps matching it.
 */
export function fingerprintOf(
  scenario: string,
  endpoint: string,
  attack: string,
  kind: string,
  discriminator = '',
): string {
  return createHash('sha256')
    .update([scenario, endpoint, attack, kind, discriminator].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}
