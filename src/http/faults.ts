/**
 * Client-side faults on a raw HTTP/1.1 connection: a client that gives up after sending its whole
 * request, and a connection that dies half-way through (or right after) the body. The request is
 * serialised by us so we know exactly which byte is the last one, and the socket's write callback
 * tells us when it left the process, which is what makes "the server had the whole request" a
 * verified fact rather than a hope.
 */
import type net from 'node:net';
import type { CaptureResult } from './capture.js';
import type { RequestSpec } from './request-spec.js';
import { connectRaw } from './sync/connect.js';
import { PendingResult, transportError } from './sync/exchange-io.js';
import { Http1ResponseReader, readHttp1Response, serializeHttp1 } from './sync/http1-raw.js';

export type ClientFault =
  /** Write the complete request, then close the connection `afterMs` later unless the answer came first. */
  | { kind: 'abort-after-send'; afterMs: number }
  /** Write the head and part of the body, then reset the connection. */
  | { kind: 'reset-mid-body' }
  /** Write the complete request, then reset the connection at once. */
  | { kind: 'reset-after-body' };

export interface FaultOutcome {
  kind: ClientFault['kind'];
  /** Bytes the socket confirmed written before the fault. */
  bytesWritten: number;
  totalBytes: number;
  /** The final byte of the request was confirmed written (socket.write callback) before the fault. */
  completeRequestSent: boolean;
  /** The fault was actually applied: false when the answer arrived before the abort. */
  applied: boolean;
  /** One line for reports. */
  description: string;
}

export interface FaultTransportOptions {
  bodyCap: number;
  timeoutMs: number;
  now: () => number;
  signal?: AbortSignal | undefined;
}

export interface FaultResult {
  capture: CaptureResult;
  fault: FaultOutcome;
}

/** Where every fault starts: nothing written, nothing applied; the sender fills it in as it goes. */
export function faultNotYetApplied(fault: ClientFault, totalBytes: number): FaultOutcome {
  return { kind: fault.kind, bytesWritten: 0, totalBytes, completeRequestSent: false, applied: false, description: '' };
}

/** Sends `spec` and applies `fault`. Never throws for a network failure; never waits past `timeoutMs`. */
export async function sendWithClientFault(
  spec: RequestSpec,
  fault: ClientFault,
  o: FaultTransportOptions,
): Promise<FaultResult> {
  const timeoutMs = spec.timeoutMs ?? o.timeoutMs;
  const wire = serializeHttp1(spec);
  const pending = new PendingResult(o.now);
  const outcome = faultNotYetApplied(fault, wire.length);
  const conn = await connectRaw(spec.url, { alpn: ['http/1.1'], noDelay: true, timeoutMs });
  if (conn.error) {
    pending.fail(conn.error);
    outcome.description = `${fault.kind} not applied: could not connect`;
    return { capture: await pending.promise, fault: outcome };
  }
  const socket = conn.socket;
  readHttp1Response(socket, new Http1ResponseReader(o.bodyCap, spec.method), pending, o.now);
  const deadline = setTimeout(() => {
    pending.fail(transportError('ETIMEDOUT', `no answer within ${timeoutMs} ms`));
    socket.destroy();
  }, timeoutMs);
  const onAbort = (): void => {
    pending.fail(transportError('ABORT_ERR', 'aborted by idem-audit'));
    socket.destroy();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let afterSend: NodeJS.Timeout | undefined;
  try {
    if (o.signal?.aborted) {
      onAbort();
      outcome.description = `${fault.kind} not applied: aborted`;
      return { capture: await pending.promise, fault: outcome };
    }
    if (fault.kind === 'reset-mid-body') {
      const headEnd = wire.indexOf('\r\n\r\n') + 4;
      const bodyBytes = wire.length - headEnd;
      if (bodyBytes < 2) {
        pending.fail(transportError('ABORT_ERR', 'reset-mid-body needs a request body of at least 2 bytes'));
        socket.destroy();
        outcome.description = 'reset-mid-body not applied: the request has no body to cut';
      } else {
        const cut = headEnd + Math.floor(bodyBytes / 2);
        outcome.bytesWritten = (await written(socket, wire.subarray(0, cut))) ? cut : 0;
        reset(socket);
        outcome.applied = true;
        pending.fail(
          transportError('ECONNRESET', `idem-audit reset the connection after ${cut} of ${wire.length} bytes`),
        );
        outcome.description = `reset after ${cut} of ${wire.length} bytes (mid-body)`;
      }
    } else {
      const ok = await written(socket, wire);
      if (ok) {
        outcome.bytesWritten = wire.length;
        outcome.completeRequestSent = true;
        pending.sentAt = o.now();
      }
      if (fault.kind === 'reset-after-body') {
        reset(socket);
        outcome.applied = ok;
        pending.fail(transportError('ECONNRESET', `idem-audit reset the connection after all ${wire.length} bytes`));
        outcome.description = `reset right after the complete request (${wire.length} bytes)`;
      } else {
        await Promise.race([
          new Promise((r) => {
            afterSend = setTimeout(r, fault.afterMs);
          }),
          pending.promise,
        ]);
        if (!pending.settled) {
          outcome.applied = ok;
          pending.fail(
            transportError('ABORT_ERR', `idem-audit closed the connection ${fault.afterMs} ms after the last byte`),
          );
          socket.destroy();
        }
        outcome.description = outcome.applied
          ? `closed ${fault.afterMs} ms after the complete request (${wire.length} bytes), before the answer`
          : 'not applied: the answer arrived before the abort';
      }
    }
    return { capture: await pending.promise, fault: outcome };
  } finally {
    clearTimeout(deadline);
    clearTimeout(afterSend);
    o.signal?.removeEventListener('abort', onAbort);
    socket.destroy();
  }
}

/** Resolves true once the bytes were handed to the kernel; false if the socket failed first. */
function written(socket: net.Socket, bytes: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(false);
    socket.write(bytes, (err) => resolve(err === undefined || err === null));
  });
}

/** An RST rather than a FIN where the platform allows it: the peer sees a torn connection, not a clean close. */
function reset(socket: net.Socket): void {
  const s = socket as net.Socket & { resetAndDestroy?: () => net.Socket };
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else socket.destroy();
}
