/**
 * The attack extension point. An attack knows one way the idempotency promise breaks: it sends
 * requests through the context, asks the observers what happened, and reports findings. It
 * never throws for a finding; it throws only when idem-audit itself is broken.
 */
import type { z } from 'zod';
import type { SideEffectVerdict } from '../findings/finding.js';
import type { Severity } from '../scenario/severity.js';
import type { BurstOptions, BurstResult } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import type { ClientFault, FaultOutcome } from '../http/faults.js';
import type { HookControl, HookName } from '../hooks/types.js';
import type { DownstreamControl } from '../observers/types.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { Rng } from '../random/rng.js';
import type { Contract, JsonValue, ResolvedEndpoint, ResolvedScenario } from '../scenario/types.js';

export interface FindingKindMeta {
  severity: Severity;
  title: string;
  /** What to change in the target, one or two sentences. */
  remediation: string;
  /** IK checklist items (reference/idempotency-standards.md) this kind breaks. */
  references: readonly string[];
}

export interface AttackMeta<O> {
  /** kebab-case; also the file name and docs page name. */
  id: string;
  title: string;
  description: string;
  /**
   * What it sends, in a line (markdown): the README's `sends` column and `idem-audit explain`.
   * Optional for attacks passed to runAudit from outside; every registered attack has it.
   */
  sends?: string;
  /** What it finds, in a line (markdown, every finding kind in backticks): the README's `finds` column. */
  finds?: string;
  options: z.ZodType<O>;
  /** Every finding kind this attack can report. */
  findings: Readonly<Record<string, FindingKindMeta>>;
  /** Whether its findings depend on timing (a single replay may pass although the flaw is real). */
  timingDependent: boolean;
  /**
   * Why resending the recorded requests of its findings cannot recreate them (a client or
   * downstream fault, a wait, a measurement): `idem-audit replay` then says so and points at the
   * reproduction command instead of judging a replay that proves nothing. Absent: replayable.
   */
  notReplayable?: string;
  /**
   * The scenario hooks it runs (ARCHITECTURE.md, hooks): `required` ones must be declared, and
   * the run started with --allow-hooks, for it to do anything. Absent: it runs no hook.
   */
  hooks?: { required: readonly HookName[]; optional?: readonly HookName[] };
}

export interface RequestOverrides {
  label: string;
  /** undefined: no key header at all. */
  key: string | undefined;
  principal?: string;
  method?: string;
  path?: string;
  body?: JsonValue | undefined;
  /** Raw body text, bypassing JSON serialisation (for byte-level variations). */
  rawBody?: string;
  headers?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  /** Another origin for this request (one of `target.nodes`), instead of `target.baseUrl`. */
  baseUrl?: string;
}

export interface SideEffects {
  /** The highest count among observers: any witness of a write, answers included. */
  observed: number;
  /**
   * Writes for the key, judged by the observers that read the target's records (by the answers
   * only when none does); see engine/side-effects.ts. What duplicate-write claims rest on.
   */
  writes: number;
  /** Set when the answers suggest more writes than the records show: what was overruled, for a note. */
  disputed: string | undefined;
  /** The verdict for a report, judged by `writes`, with every observer's count as evidence. */
  verdict(expected: number): SideEffectVerdict;
}

export interface FindingReport {
  kind: string;
  message: string;
  expected: string;
  observed: string;
  exchanges: readonly Exchange[];
  sideEffects?: SideEffectVerdict;
  /** Overrides the kind's default severity. */
  severity?: Severity;
  /** Distinguishes two findings of one kind in one attack (keeps fingerprints distinct). */
  discriminator?: string;
}

export interface AttackContext<O> {
  readonly options: O;
  readonly scenario: ResolvedScenario;
  readonly endpoint: ResolvedEndpoint;
  readonly contract: Contract;
  readonly rng: Rng;
  readonly signal: AbortSignal;
  /** A fresh key rendered from the endpoint's key template. */
  newKey(): string;
  /** The endpoint's request with the given key and overrides, ready to send. */
  request(o: RequestOverrides): RequestSpec;
  send(spec: RequestSpec): Promise<Exchange>;
  /** Releases the requests together; `options.sync` picks how (default `auto`). */
  burst(specs: readonly RequestSpec[], options?: Pick<BurstOptions, 'sync'>): Promise<BurstResult>;
  /** Counts side effects for `key` with every observer the endpoint declares. */
  sideEffects(key: string): Promise<SideEffects>;
  /**
   * Sends with a client-side fault (abort after the complete request, reset mid-body or after the
   * body); recorded and budgeted like `send`.
   */
  sendWithFault(spec: RequestSpec, fault: ClientFault): Promise<{ exchange: Exchange; fault: FaultOutcome }>;
  /** Longest the run lets an attack wait on the target's clock (`--max-wait`); unset: the attack's default. */
  readonly maxWaitMs?: number;
  /** The target's downstream stand-in, when the endpoint declares a sink observer. */
  readonly downstream?: DownstreamControl;
  /** The scenario's hooks (crash, restart, ready, storeDown, storeUp), with whether this run may run them. */
  readonly hooks: HookControl;
  /** Waits, but wakes up at once when the run is interrupted. */
  sleep(ms: number): Promise<void>;
  report(f: FindingReport): void;
  /** Not applicable to this endpoint or contract (no finding, no failure). */
  skip(reason: string): void;
  /** Could not be judged (e.g. the target never accepted the baseline request). Counts as not audited. */
  inconclusive(reason: string): void;
  /** A remark for the report that is neither a finding nor a failure. */
  note(text: string): void;
  /** A structured measurement for the report (JSON), kept under `metrics[name]` of the attack's result. */
  metric(name: string, value: JsonValue): void;
}

export interface Attack<O = unknown> {
  meta: AttackMeta<O>;
  run(ctx: AttackContext<O>): Promise<void>;
}

export function defineAttack<O>(a: Attack<O>): Attack<unknown> {
  return a;
}
