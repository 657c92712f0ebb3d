/**
 * Observers count side effects. Each one is independent evidence: the engine asks all of them
 * and believes the most pessimistic count, because one witness of a second write is enough.
 */
import type { z } from 'zod';
import type { Exchange } from '../http/exchange.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { ResolvedEndpoint, ResolvedScenario } from '../scenario/types.js';

export interface EffectCount {
  observer: string;
  /** Side effects this observer attributes to the key. */
  count: number;
  /** One line saying how it was counted, e.g. `GET /ledger?key=… → $.count = 2`. */
  detail: string;
  /** Requests the observer itself made, kept as evidence. */
  evidence: readonly Exchange[];
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
}

export interface ObserverInstance {
  /** Counts side effects attributed to `key`; throws ObserverError when it cannot. */
  count(key: string, ctx: CountContext): Promise<EffectCount>;
  close?(): Promise<void>;
}

export interface ObserverMeta<O> {
  id: string;
  description: string;
  options: z.ZodType<O>;
}

export interface Observer<O = unknown> {
  meta: ObserverMeta<O>;
  create(options: O, env: ObserverEnv): ObserverInstance;
}

/** Erases the option type so observers with different options fit one registry. */
export function defineObserver<O>(o: Observer<O>): Observer<unknown> {
  return o;
}
