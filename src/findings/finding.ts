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

export interface Reproduction {
  seed: number;
  command: string;
  /** Redacted; requests released together are joined with `&` and ended by `wait`. */
  curl: readonly string[];
  /** True when the failure depends on timing: one replay may pass although the flaw is real. */
  timingDependent: boolean;
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
}

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
