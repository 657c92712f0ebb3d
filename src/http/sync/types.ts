/** What every synchronised transport needs from the engine and gives back to it. */
import type { CaptureResult } from '../capture.js';

export interface SyncTransportOptions {
  bodyCap: number;
  /** Default per-request deadline; a spec's own timeoutMs wins. */
  timeoutMs: number;
  /** Milliseconds on the run's monotonic clock. */
  now: () => number;
  signal?: AbortSignal | undefined;
  /** Extra trusted CA certificates (PEM) for https targets. */
  ca?: string | undefined;
  /**
   * Release offset of each request, in ms after the burst's release (staggered.ts); absent or
   * all 0: every request is released together.
   */
  offsetsMs?: readonly number[] | undefined;
  /**
   * A stop (Ctrl-C, the run's deadline) during a wait for a later release: what is still withheld
   * is not released but recorded as aborted. Requests already released keep their deadline.
   */
  stop?: AbortSignal | undefined;
}

export interface SyncBurstOutcome {
  /** One per spec, in spec order; `sentAt` is the moment that request's final byte was written. */
  results: CaptureResult[];
  /** Remarks for the report (packet too large, streams split into batches…). */
  notes: string[];
  /** Measured quiet period between the flushed prefixes and the release (ms), where the mode has one. */
  quietMs?: number;
}

export type TransportError = NonNullable<CaptureResult['error']>;
