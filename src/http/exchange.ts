/**
 * One request and what came back, as recorded by the engine. Headers are already redacted;
 * bodies are excerpts capped at `settings.bodyCap` (the byte counts are the real sizes).
 */
import type { ExchangePhase } from './request-spec.js';
import type { TransportErrorCode } from './transport-errors.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** UTF-8 excerpt of the body, at most bodyCap bytes. */
  body: string;
  /** Bytes received (may exceed body's length when truncated). */
  bytes: number;
  truncated: boolean;
}

/** Milliseconds since the run started (monotonic clock). */
export interface ExchangeTimings {
  queued: number;
  sent?: number;
  headers?: number;
  done?: number;
}

export interface Exchange {
  id: number;
  /** Attack-chosen label, e.g. `burst[3]`, `replay`, `first`. */
  label: string;
  attack: string;
  endpoint: string;
  /** The idempotency key sent, undefined when none was. Kept unredacted: it is not a secret. */
  key: string | undefined;
  /** Name of the principal whose credentials were used. */
  principal: string;
  /** Burst this exchange was released in, if any. */
  burst?: number;
  /**
   * A setup or teardown request (scenario `setup:`/`teardown:` steps): shown as such in reports,
   * never counted as a side effect of the audit. Absent on audited requests and observer queries.
   */
  phase?: ExchangePhase;
  request: RecordedRequest;
  response?: RecordedResponse;
  error?: { code: TransportErrorCode; message: string };
  timings: ExchangeTimings;
  /** Server-reported arrival time (ns, from the target's clock), when the target exposes one. */
  serverArrivalNs?: string;
}

export function isSuccess(ex: Exchange): boolean {
  return ex.response !== undefined && ex.response.status >= 200 && ex.response.status < 300;
}

export function statusOf(ex: Exchange): number | undefined {
  return ex.response?.status;
}

/** Short human description: `201`, `409`, or the transport error code. */
export function outcomeOf(ex: Exchange): string {
  if (ex.response) return String(ex.response.status);
  return ex.error?.code ?? 'no response';
}

/** Parses the response body as JSON; undefined when absent, truncated or not JSON. */
export function responseJson(ex: Exchange): unknown {
  const res = ex.response;
  if (!res || res.truncated || res.body === '') return undefined;
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    return undefined;
  }
}
