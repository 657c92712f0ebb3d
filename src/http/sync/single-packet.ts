/**
 * The single-packet attack (HTTP/2, Kettle 2023) over one connection we drive frame by frame:
 * every stream's HEADERS and all of its body but the last byte go out first; after a short settle
 * and a PING that warms the path, the withheld final DATA frames (END_STREAM, one byte or empty)
 * leave in ONE socket write, so the kernel sends them in one TCP packet when they fit. Nagle
 * stays on so nothing we write afterwards splits that packet. Node's http2 module cannot do this:
 * it forces TCP_NODELAY and owns its socket. Streams given a release offset (`offsetsMs`) have
 * their final frames written that much later, one write per offset.
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import type { CaptureResult } from '../capture.js';
import type { RequestSpec } from '../request-spec.js';
import { connectRaw, flushed } from './connect.js';
import { abortedError, deadlineError, PendingResult, transportError } from './exchange-io.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  encodeFrame,
  ErrorCode,
  Flag,
  FrameReader,
  framePayload,
  FrameType,
  HeaderDecoder,
  HeaderEncoder,
  headersFrames,
  MAX_ALLOWED_FRAME_SIZE,
  MAX_WINDOW,
  parseSettings,
  pingFrame,
  PREFACE,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  type Frame,
} from './h2-frames.js';
import { releaseWaves, waitUntil } from './staggered.js';
import type { SyncBurstOutcome, SyncTransportOptions } from './types.js';

/** About one Ethernet packet's payload; past it the final frames may need a second packet. */
export const SINGLE_PACKET_BYTES = 1_400;
/** Our receive windows (16 MiB), topped up by WINDOW_UPDATE once half is used. */
const RECEIVE_WINDOW = 1 << 24;
const REPLENISH_AT = RECEIVE_WINDOW / 2;
/** Bound on one response header block, compressed (HEADERS + CONTINUATIONs) and decoded. */
export const MAX_HEADER_BLOCK_BYTES = 64 * 1024;
/**
 * SETTINGS and PING ACKs written but not yet flushed: a peer that floods them without reading
 * would otherwise grow our write buffer without bound (nghttp2 uses the same limit).
 */
export const MAX_PENDING_ACKS = 1_000;
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
]);

export interface SinglePacketOptions extends SyncTransportOptions {
  /** Pause between the pre-sent frames and the release. Default 50 ms (Kettle uses ~100 ms over the internet). */
  settleMs?: number;
  /** Called with the connection's socket before anything is written (tests wrap `write` here). */
  onSocket?: (socket: net.Socket) => void;
}

/** One request of a batch: its spec, where its result goes, and its release offset (ms). */
interface Release {
  spec: RequestSpec;
  pending: PendingResult;
  offsetMs: number;
}

interface Stream {
  id: number;
  spec: RequestSpec;
  pending: PendingResult;
  timeoutMs: number;
  status?: number;
  headers: Record<string, string>;
  chunks: Buffer[];
  kept: number;
  bytes: number;
  truncated: boolean;
  /** Bytes received since the stream's window was last topped up. */
  unacked: number;
  timer?: NodeJS.Timeout;
}

export async function singlePacketBurst(
  specs: readonly RequestSpec[],
  o: SinglePacketOptions,
): Promise<SyncBurstOutcome> {
  // A burst normally targets one origin; should it not, each origin gets its own connection.
  const byOrigin = new Map<string, number[]>();
  specs.forEach((s, i) => {
    const origin = new URL(s.url).origin;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), i]);
  });
  const results = new Array<SyncBurstOutcome['results'][number]>(specs.length);
  const notes: string[] = [];
  await Promise.all(
    [...byOrigin.values()].map(async (indexes) => {
      const out = await onOneConnection(
        indexes.map((i) => specs[i] as RequestSpec),
        o.offsetsMs === undefined ? o : { ...o, offsetsMs: indexes.map((i) => o.offsetsMs?.[i] ?? 0) },
      );
      indexes.forEach((i, k) => {
        const r = out.results[k];
        if (r) results[i] = r;
      });
      notes.push(...out.notes);
    }),
  );
  return { results, notes };
}

async function onOneConnection(specs: readonly RequestSpec[], o: SinglePacketOptions): Promise<SyncBurstOutcome> {
  const first = specs[0];
  if (!first) return { results: [], notes: [] };
  const timeoutMs = first.timeoutMs ?? o.timeoutMs;
  const c = await connectRaw(first.url, { alpn: ['h2'], noDelay: false, timeoutMs, ca: o.ca });
  if (c.error) {
    const err = c.error;
    return { results: await Promise.all(specs.map(() => failedNow(o, err))), notes: [] };
  }
  if (new URL(first.url).protocol === 'https:' && c.alpn !== 'h2') {
    c.socket.destroy();
    const err = transportError('ERR_HTTP2_ERROR', `the target did not negotiate h2 over TLS (ALPN: ${String(c.alpn)})`);
    return { results: await Promise.all(specs.map(() => failedNow(o, err))), notes: [] };
  }
  o.onSocket?.(c.socket);
  const conn = new H2Connection(c.socket, o);
  // Aborting fails every stream and closes the socket, which also ends a pending handshake or a
  // pre-send stuck behind a peer that does not read.
  const onAbort = (): void => conn.abort();
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await conn.handshake(timeoutMs);
    return await conn.run(specs);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    const te = o.signal?.aborted
      ? abortedError()
      : (conn.protocolFailure ?? transportError((e as { code?: string }).code ?? 'UND_ERR_SOCKET', e.message));
    return { results: await Promise.all(specs.map(() => failedNow(o, te))), notes: [] };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    conn.close();
  }
}

function failedNow(o: SyncTransportOptions, err: ReturnType<typeof transportError>): Promise<CaptureResult> {
  const p = new PendingResult(o.now);
  p.fail(err);
  return p.promise;
}

class H2Connection {
  readonly #socket: net.Socket;
  readonly #o: SinglePacketOptions;
  // We announce no SETTINGS_MAX_FRAME_SIZE, so the peer must keep to the default.
  readonly #reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  readonly #encoder = new HeaderEncoder();
  readonly #decoder = new HeaderDecoder();
  readonly #streams = new Map<number, Stream>();
  #nextStreamId = 1;
  #maxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #maxConcurrent = Number.POSITIVE_INFINITY;
  #peerInitialWindow = DEFAULT_WINDOW;
  #connSendWindow = DEFAULT_WINDOW;
  #consumed = 0;
  #pendingAcks = 0;
  /** A header block split over CONTINUATION frames, until END_HEADERS. */
  #block: { streamId: number; parts: Buffer[]; endStream: boolean; size: number } | undefined;
  #gotSettings: (() => void) | undefined;
  #dead: ReturnType<typeof transportError> | undefined;
  /** What the peer did wrong, when it broke the protocol (it explains a failed handshake). */
  protocolFailure: ReturnType<typeof transportError> | undefined;

  constructor(socket: net.Socket, o: SinglePacketOptions) {
    this.#socket = socket;
    this.#o = o;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.#reader.push(chunk)) this.#onFrame(f);
      } catch (err) {
        this.protocolFailure ??= transportError('ERR_HTTP2_ERROR', err instanceof Error ? err.message : String(err));
        this.#failAll(this.protocolFailure);
        socket.destroy();
      }
    });
    socket.on('error', (err: Error & { code?: string }) =>
      this.#failAll(transportError(err.code ?? 'UND_ERR_SOCKET', err.message)),
    );
    socket.on('close', () =>
      this.#failAll(transportError('UND_ERR_SOCKET', 'the connection closed before a complete answer')),
    );
  }

  async handshake(timeoutMs: number): Promise<void> {
    const settled = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(Object.assign(new Error('no SETTINGS from the target'), { code: 'ETIMEDOUT' })),
        Math.min(timeoutMs, 10_000),
      );
      this.#gotSettings = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#socket.once('close', () => {
        clearTimeout(timer);
        reject(
          Object.assign(new Error('the target closed the connection during the HTTP/2 handshake'), {
            code: 'UND_ERR_SOCKET',
          }),
        );
      });
    });
    this.#socket.write(
      Buffer.concat([
        PREFACE,
        settingsFrame([
          [Setting.ENABLE_PUSH, 0],
          [Setting.INITIAL_WINDOW_SIZE, RECEIVE_WINDOW],
        ]),
        windowUpdateFrame(0, RECEIVE_WINDOW - DEFAULT_WINDOW),
      ]),
    );
    await settled;
  }

  async run(specs: readonly RequestSpec[]): Promise<SyncBurstOutcome> {
    const notes: string[] = [];
    const pendings = specs.map(() => new PendingResult(this.#o.now));
    let packets = 0;
    let limit = this.#maxConcurrent;
    // The batch size is read again before each batch: a later SETTINGS frame may lower it.
    for (let start = 0; start < specs.length;) {
      limit = Math.min(limit, this.#maxConcurrent);
      const batchSize = Math.max(1, Math.min(specs.length - start, this.#maxConcurrent));
      const batch = specs.slice(start, start + batchSize).map((spec, k) => ({
        spec,
        pending: pendings[start + k] as PendingResult,
        offsetMs: this.#o.offsetsMs?.[start + k] ?? 0,
      }));
      start += batch.length;
      packets++;
      const size = await this.#release(batch, notes);
      if (size > SINGLE_PACKET_BYTES) {
        notes.push(
          `single-packet: the ${batch.length} final frames took ${size} bytes, more than one packet (~${SINGLE_PACKET_BYTES}); they may arrive in more than one TCP segment`,
        );
      }
      await Promise.all(batch.map((b) => b.pending.promise));
    }
    if (packets > 1) {
      notes.unshift(
        `single-packet: the target allows ${limit} concurrent streams, so ${specs.length} requests were released in ${packets} packets`,
      );
    }
    return { results: await Promise.all(pendings.map((p) => p.promise)), notes };
  }

  abort(): void {
    this.#failAll(abortedError());
    this.#socket.destroy();
  }

  close(): void {
    for (const s of this.#streams.values()) clearTimeout(s.timer);
    this.#socket.destroy();
  }

  /**
   * Pre-sends the batch, then releases its final frames in one write (one per wave when the
   * requests have release offsets); returns the size of the largest write.
   */
  async #release(batch: readonly Release[], notes: string[]): Promise<number> {
    // Until the release the stream deadlines are not running: a peer that stops reading would
    // hold the pre-send (flushed) forever. Past the deadline the connection is given up.
    const guardMs = Math.min(...batch.map((b) => b.spec.timeoutMs ?? this.#o.timeoutMs));
    const guard = setTimeout(() => {
      this.#failAll(deadlineError(guardMs));
      this.#socket.destroy();
    }, guardMs);
    try {
      return await this.#presendAndRelease(batch, notes);
    } finally {
      clearTimeout(guard);
    }
  }

  async #presendAndRelease(batch: readonly Release[], notes: string[]): Promise<number> {
    const finals: { stream: Stream; frame: Buffer; offsetMs: number }[] = [];
    for (const { spec, pending, offsetMs } of batch) {
      if (this.#dead) {
        pending.fail(this.#dead);
        continue;
      }
      const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.from(spec.body, 'utf8');
      const early = body.subarray(0, Math.max(0, body.length - 1));
      // The whole body must fit, the withheld final byte included.
      if (body.length > this.#connSendWindow || body.length > this.#peerInitialWindow) {
        pending.fail(
          transportError('ERR_HTTP2_ERROR', `a ${body.length}-byte body does not fit the target's flow-control window`),
        );
        notes.push('single-packet: a body larger than the flow-control window was not sent');
        continue;
      }
      this.#connSendWindow -= body.length;
      const id = this.#nextStreamId;
      this.#nextStreamId += 2;
      const stream: Stream = {
        id,
        spec,
        pending,
        timeoutMs: spec.timeoutMs ?? this.#o.timeoutMs,
        headers: {},
        chunks: [],
        kept: 0,
        bytes: 0,
        truncated: false,
        unacked: 0,
      };
      this.#streams.set(id, stream);
      const frames = headersFrames(this.#encoder, id, requestFields(spec, body.length), this.#maxFrameSize, false);
      for (let off = 0; off < early.length; off += this.#maxFrameSize) {
        frames.push(encodeFrame(FrameType.DATA, 0, id, early.subarray(off, off + this.#maxFrameSize)));
      }
      this.#socket.write(Buffer.concat(frames));
      // Kettle: withhold a frame even for a bodiless request; END_STREAM on HEADERS would let
      // the server start at once, and a Content-Length alone lets some servers start early.
      finals.push({
        stream,
        frame: encodeFrame(FrameType.DATA, Flag.END_STREAM, id, body.subarray(early.length)),
        offsetMs,
      });
    }
    if (finals.length === 0) return 0;
    await flushed(this.#socket);
    await new Promise((r) => setTimeout(r, this.#o.settleMs ?? 50));
    if (this.#dead) {
      for (const f of finals) f.stream.pending.fail(this.#dead);
      return Buffer.concat(finals.map((f) => f.frame)).length;
    }
    this.#socket.write(pingFrame(randomBytes(8)));
    // Later waves' marks are measured from the first release.
    let releasedAt: number | undefined;
    let largest = 0;
    // Requests with a release offset (staggered.ts) go out in later writes, each at its mark.
    let go = true;
    for (const wave of releaseWaves(
      finals.length,
      finals.map((f) => f.offsetMs),
    )) {
      const group = wave.indexes.flatMap((i) => finals[i] ?? []);
      if (go && wave.offsetMs > 0)
        go = await waitUntil((releasedAt ?? this.#o.now()) + wave.offsetMs, this.#o.now, [
          this.#o.signal,
          this.#o.stop,
        ]);
      // Stopped while these were withheld: their final frames are never sent.
      const dead = go ? this.#dead : (this.#dead ?? abortedError());
      if (dead) {
        for (const f of group) {
          f.stream.pending.fail(dead);
          this.#endStream(f.stream, ErrorCode.CANCEL);
        }
        continue;
      }
      const packet = Buffer.concat(group.map((f) => f.frame));
      largest = Math.max(largest, packet.length);
      // The release: one write, so the final frames share a TLS record and a TCP segment.
      this.#socket.write(packet);
      const sentAt = this.#o.now();
      releasedAt ??= sentAt;
      for (const { stream: s } of group) {
        s.pending.sentAt = sentAt;
        s.timer = setTimeout(() => {
          if (s.pending.settled) return;
          s.pending.fail(deadlineError(s.timeoutMs));
          this.#endStream(s, ErrorCode.CANCEL);
        }, s.timeoutMs);
      }
    }
    return largest;
  }

  #onFrame(f: Frame): void {
    if (this.#block && f.type !== FrameType.CONTINUATION) throw new Error('expected CONTINUATION');
    switch (f.type) {
      case FrameType.SETTINGS:
        if (f.flags & Flag.ACK) return;
        this.#applySettings(parseSettings(f.payload));
        this.#ack(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
        this.#gotSettings?.();
        this.#gotSettings = undefined;
        return;
      case FrameType.PING:
        if (!(f.flags & Flag.ACK)) this.#ack(pingFrame(f.payload, true));
        return;
      case FrameType.WINDOW_UPDATE:
        if (f.streamId === 0) {
          this.#connSendWindow += f.payload.readUInt32BE(0) & 0x7fffffff;
          if (this.#connSendWindow > MAX_WINDOW) throw new Error('WINDOW_UPDATE overflowed the connection window');
        }
        return;
      case FrameType.HEADERS: {
        const parts = [framePayload(f)];
        const endStream = (f.flags & Flag.END_STREAM) !== 0;
        if (f.flags & Flag.END_HEADERS) this.#onHeaders(f.streamId, Buffer.concat(parts), endStream);
        else this.#block = { streamId: f.streamId, parts, endStream, size: parts[0]?.length ?? 0 };
        return;
      }
      case FrameType.CONTINUATION: {
        const b = this.#block;
        if (!b || b.streamId !== f.streamId) throw new Error('unexpected CONTINUATION');
        b.parts.push(f.payload);
        b.size += f.payload.length;
        if (b.size > MAX_HEADER_BLOCK_BYTES) throw new Error(`a header block over ${MAX_HEADER_BLOCK_BYTES} bytes`);
        if (f.flags & Flag.END_HEADERS) {
          this.#block = undefined;
          this.#onHeaders(b.streamId, Buffer.concat(b.parts), b.endStream);
        }
        return;
      }
      case FrameType.DATA:
        this.#onData(f);
        return;
      case FrameType.RST_STREAM: {
        const s = this.#streams.get(f.streamId);
        if (!s) return;
        const code = f.payload.length >= 4 ? f.payload.readUInt32BE(0) : 0;
        this.#fail(s, transportError('ECONNRESET', `the target reset the stream (HTTP/2 error code ${code})`));
        return;
      }
      case FrameType.GOAWAY: {
        const last = f.payload.length >= 4 ? f.payload.readUInt32BE(0) & 0x7fffffff : 0;
        const code = f.payload.length >= 8 ? f.payload.readUInt32BE(4) : 0;
        const err = transportError('UND_ERR_SOCKET', `the target sent GOAWAY (error code ${code}) before answering`);
        // Streams above last-stream-id were never processed; the others may still complete.
        for (const s of this.#streams.values()) if (s.id > last) this.#fail(s, err);
        this.#dead = err;
        return;
      }
      case FrameType.PUSH_PROMISE:
        throw new Error('PUSH_PROMISE although push was disabled');
      default:
      // PRIORITY and unknown frame types carry nothing we need (RFC 9113 §5.5: ignore them).
    }
  }

  /** Writes a SETTINGS or PING ACK, refusing to queue them without bound for a peer that does not read. */
  #ack(frame: Buffer): void {
    if (this.#pendingAcks >= MAX_PENDING_ACKS) {
      throw new Error(`the target sent over ${MAX_PENDING_ACKS} SETTINGS/PING frames without reading the ACKs`);
    }
    this.#pendingAcks++;
    this.#socket.write(frame, () => {
      this.#pendingAcks--;
    });
  }

  /** Out-of-range values are connection errors (RFC 9113 §6.5.2); a frame size of 0 would loop forever. */
  #applySettings(s: Map<number, number>): void {
    const frame = s.get(Setting.MAX_FRAME_SIZE);
    if (frame !== undefined) {
      if (frame < DEFAULT_MAX_FRAME_SIZE || frame > MAX_ALLOWED_FRAME_SIZE) {
        throw new Error(`invalid SETTINGS_MAX_FRAME_SIZE ${frame}`);
      }
      this.#maxFrameSize = frame;
    }
    const streams = s.get(Setting.MAX_CONCURRENT_STREAMS);
    if (streams !== undefined) this.#maxConcurrent = streams;
    const window = s.get(Setting.INITIAL_WINDOW_SIZE);
    if (window !== undefined) {
      if (window > MAX_WINDOW) throw new Error(`invalid SETTINGS_INITIAL_WINDOW_SIZE ${window}`);
      this.#peerInitialWindow = window;
    }
  }

  #onHeaders(streamId: number, block: Buffer, endStream: boolean): void {
    if (block.length > MAX_HEADER_BLOCK_BYTES) throw new Error(`a header block over ${MAX_HEADER_BLOCK_BYTES} bytes`);
    // Decoded even for unknown streams: the HPACK table is the connection's.
    const fields = this.#decoder.decode(block);
    const s = this.#streams.get(streamId);
    if (!s || s.pending.settled) return;
    // A small block can expand a lot (every field a reference to a large table entry).
    let listSize = 0;
    for (const [name, value] of fields) listSize += name.length + value.length + 32;
    if (listSize > MAX_HEADER_BLOCK_BYTES) {
      this.#fail(s, transportError('ERR_HTTP2_ERROR', `response headers over ${MAX_HEADER_BLOCK_BYTES} bytes`));
      this.#endStream(s, ErrorCode.CANCEL);
      return;
    }
    const status = fields.find(([n]) => n === ':status')?.[1];
    if (s.status === undefined) {
      const code = status === undefined ? NaN : Number(status);
      if (!Number.isInteger(code)) throw new Error('response HEADERS without :status');
      if (code >= 100 && code < 200) return;
      s.status = code;
      s.pending.headersAt = this.#o.now();
      for (const [name, value] of fields) {
        if (name.startsWith(':')) continue;
        s.headers[name] = Object.hasOwn(s.headers, name) ? `${s.headers[name]}, ${value}` : value;
      }
    }
    if (endStream) this.#complete(s);
  }

  #onData(f: Frame): void {
    this.#consumed += f.payload.length;
    if (this.#consumed >= REPLENISH_AT) {
      this.#socket.write(windowUpdateFrame(0, this.#consumed));
      this.#consumed = 0;
    }
    const s = this.#streams.get(f.streamId);
    if (!s || s.pending.settled) return;
    const data = framePayload(f);
    s.bytes += data.length;
    const room = this.#o.bodyCap - s.kept;
    if (data.length > room) {
      s.truncated = true;
      if (room > 0) {
        s.chunks.push(data.subarray(0, room));
        s.kept += room;
      }
      // Past the cap we stop listening: the rest of a hostile body costs nothing.
      this.#complete(s);
      this.#endStream(s, ErrorCode.CANCEL);
      return;
    }
    s.chunks.push(data);
    s.kept += data.length;
    if (f.flags & Flag.END_STREAM) return this.#complete(s);
    s.unacked += f.payload.length;
    if (s.unacked >= REPLENISH_AT) {
      this.#socket.write(windowUpdateFrame(s.id, s.unacked));
      s.unacked = 0;
    }
  }

  #complete(s: Stream): void {
    clearTimeout(s.timer);
    if (s.status === undefined)
      return this.#fail(s, transportError('ERR_HTTP2_ERROR', 'stream ended without a response'));
    s.pending.answer({
      status: s.status,
      headers: s.headers,
      body: Buffer.concat(s.chunks),
      bytes: s.bytes,
      truncated: s.truncated,
    });
  }

  #fail(s: Stream, err: ReturnType<typeof transportError>): void {
    clearTimeout(s.timer);
    s.pending.fail(err, s.status === undefined ? undefined : { status: s.status, headers: s.headers });
  }

  #endStream(s: Stream, code: number): void {
    if (!this.#socket.destroyed) this.#socket.write(rstStreamFrame(s.id, code));
  }

  #failAll(err: ReturnType<typeof transportError>): void {
    this.#dead ??= err;
    for (const s of this.#streams.values()) this.#fail(s, err);
  }
}

function requestFields(spec: RequestSpec, bodyLength: number): [string, string][] {
  const u = new URL(spec.url);
  const hostHeader = Object.entries(spec.headers).find(([n]) => n.toLowerCase() === 'host')?.[1];
  const fields: [string, string][] = [
    [':method', spec.method],
    [':scheme', u.protocol.replace(':', '')],
    [':authority', hostHeader ?? u.host],
    [':path', `${u.pathname}${u.search}`],
  ];
  for (const [name, value] of Object.entries(spec.headers)) {
    const lower = name.toLowerCase();
    if (CONNECTION_HEADERS.has(lower) || lower === 'content-length') continue;
    if (lower === 'te' && value.trim().toLowerCase() !== 'trailers') continue;
    fields.push([lower, value]);
  }
  if (spec.body !== undefined) fields.push(['content-length', String(bodyLength)]);
  return fields;
}
