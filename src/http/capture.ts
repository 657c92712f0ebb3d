/**
 * An undici dispatch handler that records one exchange: timings at each protocol step, the
 * status and headers, and at most `bodyCap` bytes of the body. A body past the cap is not
 * buffered: the request is aborted and the excerpt marked truncated, so a hostile target
 * streaming gigabytes costs nothing but the cap.
 */
import type { Dispatcher } from 'undici';
import { classifyTransportError, type TransportErrorCode } from './transport-errors.js';

export interface CaptureResult {
  status?: number;
  headers: Record<string, string>;
  body: Buffer;
  bytes: number;
  truncated: boolean;
  error?: { code: TransportErrorCode; message: string };
  sentAt?: number;
  headersAt?: number;
  doneAt: number;
}

class TruncatedBody extends Error {
  constructor() {
    super('body cap reached');
  }
}

class RequestDeadline extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no complete answer within ${ms} ms`);
  }
}

export interface CaptureOptions {
  bodyCap: number;
  timeoutMs: number;
  now: () => number;
  signal?: AbortSignal | undefined;
  /** Called the moment the request's last byte was handed to the socket. */
  onSent?: () => void;
}

/** Dispatches `opts` on `dispatcher` and resolves (never rejects) with what happened. */
export function capture(
  dispatcher: Dispatcher,
  opts: Dispatcher.DispatchOptions,
  o: CaptureOptions,
): Promise<CaptureResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let bytes = 0;
    let truncated = false;
    let status: number | undefined;
    let headers: Record<string, string> = {};
    let sentAt: number | undefined;
    let headersAt: number | undefined;
    let abort: ((err?: Error) => void) | undefined;
    let pendingAbort: Error | undefined;
    let settled = false;

    const finish = (error?: { code: TransportErrorCode; message: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onSignal);
      const result: CaptureResult = { headers, body: Buffer.concat(chunks), bytes, truncated, doneAt: o.now() };
      if (status !== undefined) result.status = status;
      if (sentAt !== undefined) result.sentAt = sentAt;
      if (headersAt !== undefined) result.headersAt = headersAt;
      if (error) result.error = error;
      resolve(result);
    };
    const stop = (err: Error): void => {
      if (abort) return abort(err);
      // Not dispatched yet (queued behind busy connections, or still connecting): the deadline
      // and the abort hold all the same. undici aborts the request when it reaches onConnect.
      pendingAbort = err;
      if (!(err instanceof TruncatedBody)) finish(classifyTransportError(err));
    };
    const timer = setTimeout(() => stop(new RequestDeadline(o.timeoutMs)), o.timeoutMs);
    const onSignal = (): void => stop(Object.assign(new Error('aborted by idem-audit'), { code: 'ABORT_ERR' }));
    if (o.signal?.aborted) onSignal();
    else o.signal?.addEventListener('abort', onSignal, { once: true });

    // The legacy handler shape is the one undici 7 calls `onRequestSent` on.
    const handler = {
      onConnect(a: (err?: Error) => void): void {
        abort = a;
        if (pendingAbort) a(pendingAbort);
      },
      onRequestSent(): void {
        sentAt = o.now();
        o.onSent?.();
      },
      onHeaders(statusCode: number, raw: Buffer[] | string[] | null): boolean {
        if (statusCode < 200) return true; // 1xx: the real answer follows
        status = statusCode;
        headersAt = o.now();
        headers = parseRawHeaders(raw);
        return true;
      },
      onData(chunk: Buffer): boolean {
        bytes += chunk.length;
        const room = o.bodyCap - kept;
        if (room > 0) {
          const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
          chunks.push(piece);
          kept += piece.length;
        }
        if (bytes > o.bodyCap) {
          truncated = true;
          stop(new TruncatedBody());
        }
        return true;
      },
      onComplete(): void {
        finish();
      },
      onError(err: Error): void {
        if (err instanceof TruncatedBody) {
          finish();
          return;
        }
        finish(classifyTransportError(err));
      },
      onUpgrade(_status: number, _headers: unknown, socket: { destroy(): void }): void {
        // The upgraded socket is handed to us and no longer undici's: it is ours to close.
        socket.destroy();
        finish({ code: 'protocol', message: 'the target tried to upgrade the connection' });
      },
    };
    if (settled) return; // aborted before it began: nothing to send
    try {
      dispatcher.dispatch(opts, handler);
    } catch (err) {
      finish(classifyTransportError(err));
    }
  });
}

function parseRawHeaders(raw: Buffer[] | string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]?.toString('latin1') ?? '').toLowerCase();
    const value = String(raw[i + 1]?.toString('latin1') ?? '');
    // hasOwn, not `in`: a header named `constructor` must not pick up Object.prototype's.
    out[name] = Object.hasOwn(out, name) ? `${out[name]}, ${value}` : value;
  }
  return out;
}
