/**
 * The attack extension point. An attack knows one way the idempotency promise breaks: it sends
 * requests through the context, asks the observers what happened, and reports findings. It
 * never throws for a finding; it throws only when idem-audit itself is broken.
 */
import type { z } from 'zod';
import type { SideEffectVerdict } from '../findings/finding.js';
import type { PendingCheck } from '../findings/pending-check.js';
import type { Severity } from '../scenario/severity.js';
import type { BurstOptions, BurstResult } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import type { ClientFault, FaultOutcome } from '../http/faults.js';
import type { HookControl, HookName } from '../hooks/types.js';
import type { DownstreamControl } from '../observers/types.js';
import type { Rng } from '../random/rng.js';
import type {
  Contract,
  JsonValue,
  KeyPlacement,
  RequestBody,
  ResolvedEndpoint,
  ResolvedScenario,
} from '../scenario/types.js';

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
  /**
   * Whether its findings depend on timing (a single replay may pass although the flaw is real).
   * Such an attack keeps its timing-critical sends in `ctx.exclusive` (or bursts / faulted sends)
   * so that other lanes' traffic cannot disturb them.
   */
  timingDependent: boolean;
  /**
   * A rough guess of what it costs on one endpoint with these options, for scheduling only: the
   * run starts the endpoints expected to take longest first (nothing is judged by it). `requests`
   * it typically sends one after another, `waitMs` it deliberately waits. Absent: a few requests.
   */
  expectedCost?(options: O, env: CostEnv): ExpectedCost;
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

export interface CostEnv {
  contract: Contract;
  /** The run's `--max-wait`, when given. */
  maxWaitMs: number | undefined;
}

export interface ExpectedCost {
  requests: number;
  waitMs?: number;
}

/**
 * One audited logical request: what a key stands for on one endpoint, for one caller. The
 * endpoint's `per: operation` setup steps run once for it (a fresh charge to refund), before its
 * first request is sent, and its requests render what they captured.
 */
export interface Operation {
  readonly id: number;
  readonly endpoint: string;
  readonly principal: string;
  /** The key it was opened for; undefined for an operation whose requests carry none. */
  readonly key: string | undefined;
}

export interface RequestOverrides {
  label: string;
  /** undefined: no key at all (the key's header, field or parameter is left out). */
  key: string | undefined;
  /**
   * The operation the request belongs to. Default: the operation of its key on its endpoint for
   * its principal (the key drawn with `newKey`, or the first request that used it), else a fresh
   * one. Name it when requests with different (or no) keys must act on the same resources: the
   * two keys of a collision pair, the request without a key beside a keyed one.
   */
  operation?: Operation;
  /** Another endpoint of the scenario: its request template, key placement and setup (cross-endpoint). */
  endpoint?: string;
  principal?: string;
  method?: string;
  path?: string;
  /** Replaces the body; its strings are templates like the endpoint's. undefined: no body. */
  body?: RequestBody | undefined;
  /**
   * The bytes to send, computed from the body as rendered with the key in place: byte-level
   * variations of the same request (reordered JSON, other escapes, a truncated body).
   */
  bodyText?: (rendered: RequestBody) => string;
  headers?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  /** Another origin for this request (one of `target.nodes`), instead of `target.baseUrl`. */
  baseUrl?: string;
}

/**
 * A request built by `ctx.request`, bound to its operation. `send`, `burst` and `sendWithFault`
 * run the operation's setup first (before a burst's release, never during it) and render its
 * captures into the request.
 */
export interface PreparedRequest {
  readonly label: string;
  readonly key: string | undefined;
  readonly principal: string;
  readonly operation: Operation;
  /** The request with every `{{uuid}}` drawn; the rest is rendered when it is sent (engine/request-builder.ts). */
  readonly draft: RequestDraft;
}

export interface RequestDraft {
  readonly method: string;
  readonly baseUrl: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: RequestBody | undefined;
  readonly bodyText?: (rendered: RequestBody) => string;
  readonly keyIn: KeyPlacement;
  /** The overrides spell the key header themselves (key-format's header-name case): it is left as they wrote it. */
  readonly keyHeaderGiven: boolean;
  readonly timeoutMs?: number;
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
  /** Where this endpoint's key travels (header, JSON body field, form field or query parameter). */
  readonly keyIn: KeyPlacement;
  /** A fresh key rendered from the endpoint's key template: a new operation on this endpoint. */
  newKey(): string;
  /** A fresh operation without a key (default: on this endpoint, as the default principal). */
  operation(o?: { endpoint?: string; principal?: string }): Operation;
  /** The endpoint's request with the given key and overrides, bound to its operation. */
  request(o: RequestOverrides): PreparedRequest;
  /**
   * Runs the operation's setup now; it otherwise runs when its first request is sent. For attacks
   * whose timing starts with that request (a follower sent a few ms after it).
   */
  setUp(operation: Operation): Promise<void>;
  send(request: PreparedRequest): Promise<Exchange>;
  /**
   * Releases the requests together; `options.sync` picks how (default `auto`), `quietMs` paces it,
   * `offsetsMs` delays single requests by so many ms after the release (a retry's gap).
   */
  burst(
    requests: readonly PreparedRequest[],
    options?: Pick<BurstOptions, 'sync' | 'quietMs' | 'offsetsMs'>,
  ): Promise<BurstResult>;
  /**
   * Counts side effects for `key` with every observer the endpoint declares. Observers render the
   * captures of `operation` (its setup runs first if it has not), else of the key's operation on
   * this endpoint if its setup ran.
   */
  sideEffects(key: string, operation?: Operation): Promise<SideEffects>;
  /**
   * Sends with a client-side fault (abort after the complete request, reset mid-body or after the
   * body); recorded and budgeted like `send`.
   */
  sendWithFault(request: PreparedRequest, fault: ClientFault): Promise<{ exchange: Exchange; fault: FaultOutcome }>;
  /**
   * Runs `work` with the target to itself: when the run audits endpoints in parallel lanes, it
   * starts once no other lane's request is in flight, and the other lanes wait until it returns.
   * For a race that spans several sends (a duplicate while the first runs, a retry right after an
   * abort, a latency measurement); `burst` and `sendWithFault` take it by themselves. Keep it to
   * the sends whose timing matters: every other lane waits meanwhile.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
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
  /**
   * Leaves a check for a later `idem-audit verify`: report.json keeps it, with its due time, under
   * the attack's result. Its exchanges must be ones this run recorded; its text and data are
   * redacted like a finding's. An attack with pending checks and nothing else judged should skip
   * with a reason that says so: a pending check is not a pass.
   */
  defer(check: PendingCheck): void;
  /**
   * Under `idem-audit verify` (absent in a normal run): the checks this attack left on this endpoint
   * in the run being verified. Their exchanges already count as this run's for `sideEffects`. A
   * check not judged now must be deferred again, or it is dropped from the updated report.
   */
  readonly deferred?: readonly PendingCheck[];
}

export interface Attack<O = unknown> {
  meta: AttackMeta<O>;
  run(ctx: AttackContext<O>): Promise<void>;
}

export function defineAttack<O>(a: Attack<O>): Attack<unknown> {
  return a;
}
