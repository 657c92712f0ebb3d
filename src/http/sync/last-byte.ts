/**
 * Last-byte synchronisation (HTTP/1.1, Kettle 2023): one connection per request, each request
 * written and flushed except its final byte, then every final byte written in one synchronous
 * loop. A bodiless request's final byte is the last LF of its header block, so the server cannot
 * start it early; a request with a body withholds the body's last byte. Requests given a release
 * offset (`offsetsMs`) have their final byte written that much later, in a loop of their own.
 */
import type net from 'node:net';
import type { RequestSpec } from '../request-spec.js';
import { connectRaw, flushed } from './connect.js';
import { abortedError, deadlineError, PendingResult } from './exchange-io.js';
import { Http1ResponseReader, readHttp1Response, serializeHttp1 } from './http1-raw.js';
import { releaseWaves, waitUntil } from './staggered.js';
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
    readHttp1Response(c.socket, new Http1ResponseReader(o.bodyCap, spec.method), p, o.now);
    c.socket.write(wire.subarray(0, wire.length - 1));
    live.push({ i, socket: c.socket, last: wire.subarray(wire.length - 1), timeoutMs });
  });

  const timers = new Map<number, NodeJS.Timeout>();
  const arm = (l: (typeof live)[number]): void => {
    clearTimeout(timers.get(l.i));
    timers.set(
      l.i,
      setTimeout(() => {
        pending[l.i]?.fail(deadlineError(l.timeoutMs));
        l.socket.destroy();
      }, l.timeoutMs),
    );
  };
  const onAbort = (): void => {
    for (const l of live) {
      pending[l.i]?.fail(abortedError());
      l.socket.destroy();
    }
  };
  try {
    // The deadline runs from the first write: a target that stops reading would otherwise hold
    // the flush below forever. Aborting is honoured from here on too.
    for (const l of live) arm(l);
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
    await Promise.all(live.map((l) => Promise.race([flushed(l.socket), pending[l.i]?.promise])));
    await new Promise((r) => setTimeout(r, o.settleMs ?? 10));
    // Requests with a release offset (staggered.ts) go out in later waves, each at its mark, which
    // is measured from the first final byte written.
    let releasedAt: number | undefined;
    let go = true;
    for (const wave of releaseWaves(specs.length, o.offsetsMs)) {
      const group = live.filter((l) => wave.indexes.includes(l.i));
      if (go && wave.offsetMs > 0)
        go = await waitUntil((releasedAt ?? o.now()) + wave.offsetMs, o.now, [o.signal, o.stop]);
      if (!go) {
        // Stopped while these were withheld: they are never completed, so never sent.
        for (const l of group) {
          pending[l.i]?.fail(abortedError());
          l.socket.destroy();
        }
        continue;
      }
      // The release: nothing but writes in this loop, so the final bytes leave back to back.
      for (const l of group) {
        l.socket.write(l.last);
        const p = pending[l.i];
        if (p) p.sentAt = o.now();
        releasedAt ??= p?.sentAt;
      }
      // Each request then gets its whole deadline for the answer.
      for (const l of group) if (!pending[l.i]?.settled) arm(l);
    }
    const results = await Promise.all(pending.map((p) => p.promise));
    return { results, notes: [] };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    for (const t of timers.values()) clearTimeout(t);
    for (const l of live) l.socket.destroy();
  }
}
