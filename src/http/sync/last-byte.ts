/**
 * Last-byte synchronisation (HTTP/1.1, Kettle 2023): one connection per request, each request
 * written and flushed except its last two bytes, a quiet period (quiet.ts), then the release: the
 * second-to-last byte of every request, then every final byte, in two back-to-back loops. A
 * bodiless request's final byte is the last LF of its header block, so the server cannot start it
 * early; a request with a body withholds the body's last byte. Requests given a release offset
 * (`offsetsMs`, staggered.ts) are released the same way that much later, in loops of their own.
 *
 * Why a wake-up stage: the first byte to reach an idle target wakes it, and a target that wakes
 * on a complete request finishes it before it looks at the other connections again (on a shared
 * host often before we have written the next byte). Woken instead by bytes that complete
 * nothing, it is busy reading those while the final bytes arrive, and then reads most of them in
 * one go. B1 (the demo's one-tick race, 150 bursts of 20 each, alternated, load average 9-10):
 * final byte only 136/150, 126/150 and 134/150 exposed; with the wake-up stage 146/150, 145/150
 * and 146/150.
 */
import type net from 'node:net';
import type { RequestSpec } from '../request-spec.js';
import { connectRaw, flushed } from './connect.js';
import { abortedError, deadlineError, PendingResult } from './exchange-io.js';
import { Http1ResponseReader, readHttp1Response, serializeHttp1 } from './http1-raw.js';
import { DEFAULT_QUIET_MS, quietPeriod } from './quiet.js';
import { releaseWaves, waitUntil } from './staggered.js';
import type { SyncBurstOutcome, SyncTransportOptions } from './types.js';

export interface LastByteOptions extends SyncTransportOptions {
  /**
   * Quiet period between the moment every prefix has been handed to the kernel and the release,
   * so the target has parsed them and gone idle. Default DEFAULT_QUIET_MS. It runs inside each
   * request's deadline and ends early on abort, on stop, and when every request was already
   * answered (a target that replies before the request is complete) or failed.
   */
  quietMs?: number;
  /**
   * A stop (Ctrl-C, the run's deadline) that must not release what is still withheld: it ends the
   * quiet period and the requests are recorded as aborted, never completed after the stop.
   */
  stop?: AbortSignal | undefined;
}

export async function lastByteBurst(specs: readonly RequestSpec[], o: LastByteOptions): Promise<SyncBurstOutcome> {
  const pending = specs.map(() => new PendingResult(o.now));
  const wires = specs.map(serializeHttp1);
  const conns = await Promise.all(
    specs.map((s) =>
      connectRaw(s.url, { alpn: ['http/1.1'], noDelay: true, timeoutMs: s.timeoutMs ?? o.timeoutMs, ca: o.ca }),
    ),
  );
  const live: { i: number; socket: net.Socket; wake: Buffer; last: Buffer; timeoutMs: number }[] = [];
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
    const held = Math.min(2, wire.length);
    c.socket.write(wire.subarray(0, wire.length - held));
    const wake = wire.subarray(wire.length - held, wire.length - 1);
    live.push({ i, socket: c.socket, wake, last: wire.subarray(wire.length - 1), timeoutMs });
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
    const quietFrom = o.now();
    await quietPeriod(o.quietMs ?? DEFAULT_QUIET_MS, [o.signal, o.stop], Promise.all(pending.map((p) => p.promise)));
    if (o.stop?.aborted) onAbort();
    // Later waves' marks are measured from the first final byte written.
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
      // The release: nothing but writes in these loops, so the bytes leave back to back. A request
      // already answered, timed out or aborted meanwhile keeps its bytes.
      const open = group.filter((l) => pending[l.i]?.settled === false);
      for (const l of open) l.socket.write(l.wake);
      for (const l of open) {
        l.socket.write(l.last);
        const p = pending[l.i];
        if (p) p.sentAt = o.now();
        releasedAt ??= p?.sentAt;
      }
      // Each request then gets its whole deadline for the answer.
      for (const l of open) arm(l);
    }
    const results = await Promise.all(pending.map((p) => p.promise));
    return { results, notes: [], quietMs: (releasedAt ?? o.now()) - quietFrom };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    for (const t of timers.values()) clearTimeout(t);
    for (const l of live) l.socket.destroy();
  }
}
