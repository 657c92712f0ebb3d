/**
 * Observers count side effects. Each one is independent evidence: the engine asks all of them
 * and believes the most pessimistic count, because one witness of a second write is enough.
 */
import type { z } from 'zod';
import type { Exchange } from '../http/exchange.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { JsonValue, ResolvedEndpoint, ResolvedScenario } from '../scenario/types.js';

export interface EffectCount {
  observer: string;
  /** Side effects this observer attributes to the key. */
  count: number;
  /** One line saying how it was counted, e.g. `GET /ledger?key=… → $.count = 2`. */
  detail: string;
  /** Requests the observer itself made, kept as evidence. */
  evidence: readonly Exchange[];
  /**
   * The count is inferred from the answers the client got, not read from the target's records;
   * such a count yields to record-reading observers (engine/side-effects.ts).
   */
  fromAnswers?: true;
  /** White-box facts beyond the count (e.g. the redis observer's records, their TTL and state), for attacks that audit the store. */
  facts?: Readonly<Record<string, JsonValue>>;
}

export interface ObserverEnv {
  scenario: ResolvedScenario;
  endpoint: ResolvedEndpoint;
  /** Sends an observation request through the engine (counted, recorded, redacted). */
  send(spec: Omit<RequestSpec, 'principal' | 'headers'> & { headers?: Record<string, string> }): Promise<Exchange>;
  /** Absolute URL for a path on the target. */
  url(path: string): string;
}

export interface CountContext {
  /** Exchanges of the current attack that carried the key. */
  exchanges: readonly Exchange[];
  /**
   * Values the scenario's setup captured for the key's operation (`charge_id`), for options that
   * render them beside `{{key}}`; absent or empty when the scenario has no setup.
   */
  variables?: Readonly<Record<string, string>>;
}

export interface ObserverInstance {
  /** Counts side effects attributed to `key`; throws ObserverError when it cannot. */
  count(key: string, ctx: CountContext): Promise<EffectCount>;
  /** Brings up what the observer needs (a listening sink) before the first attack; idempotent. */
  start?(): Promise<void>;
  /** One line for reports, e.g. the sink's URL; secrets never appear in it. */
  describe?(): string;
  /** Present on observers that stand in for the target's downstream and can be told to misbehave. */
  readonly downstream?: DownstreamControl;
  close?(): Promise<void>;
}

/** What the downstream stub does to the first `times` calls for one key. */
export interface DownstreamRule {
  /** fail: answer `status` (5xx), nothing applied; delay: apply, answer after `delayMs`; hang: apply, never answer; reset: apply, then reset the connection. */
  fault: 'fail' | 'delay' | 'hang' | 'reset';
  times: number;
  status?: number;
  delayMs?: number;
}

/**
 * DESIGN.md §5: failed = answered 5xx, nothing applied; applied = applied and answered;
 * applied-lost = applied, answer withheld (hang, reset, caller gone); replayed = a repeated
 * downstream idempotency key, answered from the first call without applying again.
 */
export type DownstreamOutcome = 'failed' | 'applied' | 'applied-lost' | 'replayed';

export interface DownstreamCall {
  /** The downstream idempotency key the target sent, if any. */
  key: string | undefined;
  outcome: DownstreamOutcome;
  fault: DownstreamRule['fault'] | undefined;
}

export interface DownstreamControl {
  /** Base URL the target must call. */
  readonly url: string;
  /** Programs faults for the calls attributed to `key` (the audit's idempotency key). */
  program(key: string, rule: DownstreamRule): void;
  calls(key: string): readonly DownstreamCall[];
  /**
   * Resolves at the next call attributed to `key` (the moment the target is provably between
   * "started" and "answered"), or with undefined once `signal` aborts.
   */
  waitForCall(key: string, signal: AbortSignal): Promise<DownstreamCall | undefined>;
}

export interface ObserverMeta<O> {
  id: string;
  description: string;
  options: z.ZodType<O>;
}

export interface Observer<O = unknown> {
  meta: ObserverMeta<O>;
  create(options: O, env: ObserverEnv): ObserverInstance;
  /**
   * Names state that instances on several endpoints share (a sink on one fixed address: its calls,
   * its count of calls nobody can attribute), or undefined. A run that audits endpoints in
   * parallel lanes keeps the endpoints sharing one in the same lane, one after the other, so each
   * count is made as in a serial run.
   */
  sharedState?(options: O): string | undefined;
}

/** Erases the option type so observers with different options fit one registry. */
export function defineObserver<O>(o: Observer<O>): Observer<unknown> {
  return o;
}
