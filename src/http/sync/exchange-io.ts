/** Builds the CaptureResult of one synchronised request as its answer (or failure) comes in. */
import type { CaptureResult } from '../capture.js';
import { classifyTransportError } from '../transport-errors.js';
import type { TransportError } from './types.js';

export class PendingResult {
  readonly #now: () => number;
  readonly promise: Promise<CaptureResult>;
  #resolve: (r: CaptureResult) => void = () => undefined;
  #settled = false;
  sentAt: number | undefined;
  headersAt: number | undefined;

  constructor(now: () => number) {
    this.#now = now;
    this.promise = new Promise((r) => {
      this.#resolve = r;
    });
  }

  get settled(): boolean {
    return this.#settled;
  }

  answer(r: {
    status: number;
    headers: Record<string, string>;
    body: Buffer;
    bytes: number;
    truncated: boolean;
  }): void {
    this.#finish({ ...r });
  }

  fail(error: TransportError, partial?: { status: number; headers: Record<string, string> }): void {
    const base = { headers: partial?.headers ?? {}, body: Buffer.alloc(0), bytes: 0, truncated: false };
    this.#finish(partial ? { ...base, status: partial.status, error } : { ...base, error });
  }

  #finish(r: Omit<CaptureResult, 'doneAt'>): void {
    if (this.#settled) return;
    this.#settled = true;
    const result: CaptureResult = { ...r, doneAt: this.#now() };
    if (this.sentAt !== undefined) result.sentAt = this.sentAt;
    if (this.headersAt !== undefined) result.headersAt = this.headersAt;
    this.#resolve(result);
  }
}

export function transportError(code: string, message: string): TransportError {
  return classifyTransportError(Object.assign(new Error(message), { code }));
}

export const deadlineError = (ms: number): TransportError =>
  transportError('ETIMEDOUT', `no complete answer within ${ms} ms`);
export const abortedError = (): TransportError => transportError('ABORT_ERR', 'aborted by idem-audit');
