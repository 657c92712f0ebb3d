/**
 * How a test describes the target an attack runs against in the fake context: a function from
 * each request the attack sent to the answer, the writes it caused, and how long it took on the
 * fake's virtual clock. No socket is opened; the fake records the exchange as the engine would.
 */
import type { ClientFault } from '../http/faults.js';
import type { ExchangePhase } from '../http/request-spec.js';
import type { TransportErrorCode } from '../http/transport-errors.js';
import type { DownstreamCall, DownstreamControl, DownstreamOutcome, DownstreamRule } from '../observers/types.js';
import type { JsonValue } from '../scenario/types.js';
import type { FakeSystem } from './fake-system.js';

/** One request as the target receives it. */
export interface FakeRequest {
  /** The attack's label for it (`first`, `round1[3]`, …). */
  readonly label: string;
  readonly method: string;
  readonly url: string;
  /** `https://host:port` of the URL: which node of `target.nodes` it went to. */
  readonly origin: string;
  /** Path and query string, e.g. `/payments?dry=1`. */
  readonly path: string;
  /** As sent, with the attack's spelling of each name; read them with `header()`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as sent (only the first half of it when `torn`). */
  readonly body: string | undefined;
  /** The key the attack meant to send (undefined: no key header); the header itself may be spelled otherwise. */
  readonly key: string | undefined;
  /** The principal whose credentials it carries (a real target tells them apart by the headers). */
  readonly principal: string;
  /** 1-based: how many requests with this key the target has received, this one included. */
  readonly nth: number;
  /** When it arrived, in ms on the fake's virtual clock (`ctx.sleep` advances it; nothing really waits). */
  readonly at: number;
  readonly via: 'send' | 'burst' | 'fault';
  /** Its place in a burst; copies of one burst arrive at the same `at`, unless released with an offset. */
  readonly burst: { readonly id: number; readonly index: number; readonly size: number } | undefined;
  readonly fault: ClientFault | undefined;
  /** The connection was reset half-way through the body: only part of the request arrived. */
  readonly torn: boolean;
  /**
   * The client hangs up this many ms after sending the whole request (abort after send: its
   * `afterMs`; reset after the body: 0): an answer slower than that is lost, and a target that
   * cancels work for a vanished client would cancel this one.
   */
  readonly hangUpAfterMs: number | undefined;
  /**
   * It was sent with the target to itself, as parallel lanes see it: inside `ctx.exclusive`, or as
   * part of a burst or a faulted send (which take the gate by themselves).
   */
  readonly exclusive: boolean;
  /** A setup or teardown request of the scenario (not audited, never counted as a write of a key). */
  readonly phase: ExchangePhase | undefined;
  /** A header value, by case-insensitive name, as HTTP reads it. */
  header(name: string): string | undefined;
  /** The body parsed as JSON; undefined when absent or not JSON. */
  json(): unknown;
}

interface AnswerEffects {
  /** Side effects this request caused, counted for its key by the fake's `ledger` observer. Default 0. */
  writes?: number;
  /** Virtual ms until the answer (or the failure). Default 1. */
  latencyMs?: number;
}

export interface FakeResponse extends AnswerEffects {
  status: number;
  /** A JSON value is sent as JSON (with its content type), a string as is. */
  body?: JsonValue | string;
  headers?: Readonly<Record<string, string>>;
}

/** No answer: the exchange is recorded as this transport failure (the writes still happen). */
export interface FakeTransportFailure extends AnswerEffects {
  error: TransportErrorCode;
  message?: string;
}

export type FakeAnswer = FakeResponse | FakeTransportFailure;

export interface FakeTargetEnv {
  /** The downstream stand-in, when the fake declares the `sink` observer. */
  readonly downstream: FakeDownstream | undefined;
  /** The same object for every request of one run: lets a stateful target refuse to serve two runs. */
  readonly run: object;
  /**
   * The process, its boot and its key store, when the fake declares hooks (`hooks:`): a target
   * that wants to live through crashes and store outages reads and waits on it.
   */
  readonly system: FakeSystem | undefined;
}

/** The target: called once per request, in the order the requests arrive. */
export type FakeTarget = (req: FakeRequest, env: FakeTargetEnv) => FakeAnswer | Promise<FakeAnswer>;

export function isTransportFailure(a: FakeAnswer): a is FakeTransportFailure {
  return 'error' in a;
}

/** What a call to the fake provider came to, for the target that made it. */
export interface DownstreamAnswer {
  readonly outcome: DownstreamOutcome;
  /** The caller got an answer (false after a reset or a hang: it cannot know whether it was applied). */
  readonly answered: boolean;
  readonly status: number;
}

/**
 * The target's downstream provider, as the sink observer models it (DESIGN.md §5): programmed
 * faults for the first calls attributed to a key, applied / applied-lost / failed / replayed
 * outcomes, and a repeated downstream idempotency key answered without applying again. The
 * attack programs it through `ctx.downstream`; the target calls `call()`.
 */
export class FakeDownstream implements DownstreamControl {
  readonly url = 'http://downstream.invalid';
  readonly #calls = new Map<string, DownstreamCall[]>();
  readonly #rules = new Map<string, DownstreamRule>();
  readonly #applied = new Set<string>();
  readonly #waiters = new Map<string, Set<(call: DownstreamCall) => void>>();

  program(key: string, rule: DownstreamRule): void {
    this.#rules.set(key, rule);
  }

  waitForCall(key: string, signal: AbortSignal): Promise<DownstreamCall | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set();
      this.#waiters.set(key, waiters);
      const onCall = (call: DownstreamCall): void => {
        waiters.delete(onCall);
        resolve(call);
      };
      waiters.add(onCall);
      signal.addEventListener(
        'abort',
        () => {
          waiters.delete(onCall);
          resolve(undefined);
        },
        { once: true },
      );
    });
  }

  calls(key: string): readonly DownstreamCall[] {
    return this.#calls.get(key) ?? [];
  }

  /**
   * One provider call for the operation of audit key `reference`, carrying the downstream
   * idempotency key `key` (undefined: the target forwarded none, so nothing deduplicates it).
   */
  call(reference: string, key: string | undefined): DownstreamAnswer {
    const list = this.#calls.get(reference) ?? [];
    this.#calls.set(reference, list);
    const rule = this.#rules.get(reference);
    const fault = rule !== undefined && list.length < rule.times ? rule : undefined;
    const call: DownstreamCall = { key, outcome: 'applied', fault: fault?.fault };
    list.push(call);
    // Waiters see the call once its outcome below is settled (they resume after this returns).
    for (const w of [...(this.#waiters.get(reference) ?? [])]) w(call);
    if (fault?.fault === 'fail') {
      call.outcome = 'failed';
      return { outcome: call.outcome, answered: true, status: fault.status ?? 503 };
    }
    if (key !== undefined && this.#applied.has(key)) call.outcome = 'replayed';
    else if (key !== undefined) this.#applied.add(key);
    const lost = fault?.fault === 'reset' || fault?.fault === 'hang';
    if (lost && call.outcome === 'applied') call.outcome = 'applied-lost';
    return { outcome: call.outcome, answered: !lost, status: 200 };
  }

  /** What the sink observer counts for a key: applied and applied-lost calls. */
  applied(reference: string): number {
    return this.calls(reference).filter((c) => c.outcome === 'applied' || c.outcome === 'applied-lost').length;
  }
}
