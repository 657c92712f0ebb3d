/**
 * Last-byte synchronisation (HTTP/1.1, Kettle 2023): one connection per request, each request
 * written and flushed except its final byte, then every final byte written in one synchronous
 * loop. A bodiless request's final byte is the last LF of its header block, so the server cannot
 * start it early; a request with a body withholds the body's last byte.
 */
import type net from 'node:net';
import type { RequestSpec } from '../request-spec.js';
import { connectRaw, flushed } from './connect.js';
import { abortedError, deadlineError, PendingResult, transportError } from './exchange-io.js';
import { Http1ResponseReader, serializeHttp1 } from './http1-raw.js';
import type { SyncBurstOutcome, SyncTransportOptions } from './types.js';

export interface LastByteOptions extends SyncTransportOptions {
  /** Pause after the prefixes are flushed, so they have left the machine before the release. Default 10 ms. */
  settleMs?: number;
}

export async function lastByteBurst(specs: readonly RequestSpec[], o: LastByteOptions): Promise<SyncBurstOutcome> {
  const pending = specs.map(() => new PendingResult(o.now));
  const wires = specs.map(serializeHttp1);
  const conns = await Promise.all(
    specs.map((s) =>
      connectRaw(s.url, { alpn: ['http/1.1'], noDelay: true, timeoutMs: s.timeoutMs ?? o.timeoutMs, ca: o.ca }),
    ),
  );
  const live: { i: number; socket: net.Socket; last: Buffer; timeoutMs: number }[] = [];
  conns.forEach((c, i) => {
    const p = pending[i];
    const wire = wires[i];
    const spec = specs[i];
    if (!p || !wire || !spec) return;
    if (c.error) {
      p.fail(c.error);
      return;
    }
    const timeoutMs = spec.timeoutMs ?? o.timeoutMs;
    readResponse(c.socket, new Http1ResponseReader(o.bodyCap, spec.method), p, o.now);
    c.socket.write(wire.subarray(0, wire.length - 1));
    live.push({ i, socket: c.socket, last: wire.subarray(wire.length - 1), timeoutMs });
  });

  const timers: NodeJS.Timeout[] = [];
  const onAbort = (): void => {
    for (const l of live) {
      pending[l.i]?.fail(abortedError());
      l.socket.destroy();
    }
  };
  try {
    await Promise.all(live.map((l) => flushed(l.socket)));
    await new Promise((r) => setTimeout(r, o.settleMs ?? 10));
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    // The release: nothing but writes in this loop, so the final bytes leave back to back.
    for (const l of live) {
      l.socket.write(l.last);
      const p = pending[l.i];
      if (p) p.sentAt = o.now();
    }
    for (const l of live) {
      timers.push(
        setTimeout(() => {
          pending[l.i]?.fail(deadlineError(l.timeoutMs));
          l.socket.destroy();
        }, l.timeoutMs),
      );
    }
    const results = await Promise.all(pending.map((p) => p.promise));
    return { results, notes: [] };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    for (const t of timers) clearTimeout(t);
    for (const l of live) l.socket.destroy();
  }
}

function readResponse(socket: net.Socket, reader: Http1ResponseReader, p: PendingResult, now: () => number): void {
  const finish = (): void => {
    const r = reader.result();
    if (r) p.answer(r);
    socket.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    if (p.settled) return;
    const complete = reader.push(chunk);
    if (reader.headersDone) p.headersAt ??= now();
    if (complete) return finish();
    if (reader.protocolError !== undefined) {
      p.fail(transportError('HPE_INVALID_CONSTANT', reader.protocolError));
      socket.destroy();
    }
  });
  socket.on('end', () => {
    if (reader.end()) return finish();
    const r = reader.result();
    p.fail(
      transportError('UND_ERR_SOCKET', 'the connection closed before a complete answer'),
      r && { status: r.status, headers: r.headers },
    );
  });
  socket.on('close', () => {
    if (!p.settled) p.fail(transportError('UND_ERR_SOCKET', 'the connection closed before a complete answer'));
  });
  socket.on('error', (err: Error & { code?: string }) => {
    p.fail(transportError(err.code ?? 'UND_ERR_SOCKET', err.message));
  });
}
