/**
 * The HTTP/2 frame layer (RFC 9113 §4, §6) the single-packet attack needs: frame encoding, an
 * incremental frame parser, SETTINGS, and header blocks through hpack.js. Nothing more: no
 * priorities, no server push (disabled in our SETTINGS), no padding on the frames we send.
 */
import hpack from 'hpack.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
} as const;

export const ErrorCode = { NO_ERROR: 0x0, PROTOCOL_ERROR: 0x1, CANCEL: 0x8 } as const;

export const FRAME_HEADER_BYTES = 9;
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** The largest SETTINGS_MAX_FRAME_SIZE a peer may announce (RFC 9113 §6.5.2). */
export const MAX_ALLOWED_FRAME_SIZE = (1 << 24) - 1;
export const DEFAULT_WINDOW = 65_535;
/** The largest flow-control window (RFC 9113 §6.9.1). */
export const MAX_WINDOW = 2 ** 31 - 1;

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export function encodeFrame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(FRAME_HEADER_BYTES);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

export function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.alloc(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

export function parseSettings(payload: Buffer): Map<number, number> {
  const out = new Map<number, number>();
  for (let off = 0; off + 6 <= payload.length; off += 6)
    out.set(payload.readUInt16BE(off), payload.readUInt32BE(off + 2));
  return out;
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment & 0x7fffffff);
  return encodeFrame(FrameType.WINDOW_UPDATE, 0, streamId, payload);
}

export function pingFrame(data: Buffer, ack = false): Buffer {
  return encodeFrame(FrameType.PING, ack ? Flag.ACK : 0, 0, data.subarray(0, 8));
}

export function rstStreamFrame(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return encodeFrame(FrameType.RST_STREAM, 0, streamId, payload);
}

/**
 * A HEADERS frame plus CONTINUATIONs when the block exceeds the peer's frame size. The block is
 * compressed by `encoder`, which must be the connection's one encoder, in stream order.
 */
export function headersFrames(
  encoder: HeaderEncoder,
  streamId: number,
  fields: readonly (readonly [string, string])[],
  maxFrameSize: number,
  endStream: boolean,
): Buffer[] {
  const block = encoder.encode(fields);
  const frames: Buffer[] = [];
  let off = 0;
  do {
    const part = block.subarray(off, off + maxFrameSize);
    const first = off === 0;
    off += part.length;
    const flags = (off >= block.length ? Flag.END_HEADERS : 0) | (first && endStream ? Flag.END_STREAM : 0);
    frames.push(encodeFrame(first ? FrameType.HEADERS : FrameType.CONTINUATION, flags, streamId, part));
  } while (off < block.length);
  return frames;
}

export class HeaderEncoder {
  readonly #c = hpack.compressor.create({ table: { size: 4096 } });

  encode(fields: readonly (readonly [string, string])[]): Buffer {
    this.#c.write(fields.map(([name, value]) => ({ name, value })));
    const out: Buffer[] = [];
    for (let chunk = this.#c.read(); chunk !== null; chunk = this.#c.read()) out.push(chunk);
    return Buffer.concat(out);
  }
}

export class HeaderDecoder {
  readonly #d = hpack.decompressor.create({ table: { size: 4096 } });

  /** Decodes one complete header block; throws on a malformed block (a connection error). */
  decode(block: Buffer): [string, string][] {
    this.#d.write(block);
    let failure: Error | undefined;
    this.#d.execute((err) => {
      if (err) failure = err;
    });
    const out: [string, string][] = [];
    for (let h = this.#d.read(); h !== null; h = this.#d.read()) out.push([h.name, h.value]);
    if (failure) throw failure;
    return out;
  }
}

/** Strips padding (and the priority fields of HEADERS) from a received frame's payload. */
export function framePayload(f: Frame): Buffer {
  let p = f.payload;
  let padLength = 0;
  if ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.flags & Flag.PADDED) {
    padLength = p.readUInt8(0);
    p = p.subarray(1);
  }
  if (f.type === FrameType.HEADERS && f.flags & Flag.PRIORITY) p = p.subarray(5);
  return padLength > 0 ? p.subarray(0, Math.max(0, p.length - padLength)) : p;
}

/**
 * Incremental frame parser; `push` returns every complete frame so far. A frame longer than
 * `maxFrameSize` (the SETTINGS_MAX_FRAME_SIZE we announced; 16 KiB unless we said otherwise) is a
 * connection error (RFC 9113 §4.2): `push` throws rather than buffer up to 16 MiB of it.
 */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);
  readonly #maxFrameSize: number;

  constructor(maxFrameSize: number = MAX_ALLOWED_FRAME_SIZE) {
    this.#maxFrameSize = maxFrameSize;
  }

  push(data: Buffer): Frame[] {
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    const frames: Frame[] = [];
    while (this.#buf.length >= FRAME_HEADER_BYTES) {
      const length = this.#buf.readUIntBE(0, 3);
      if (length > this.#maxFrameSize) {
        throw new Error(`a ${length}-byte frame exceeds the ${this.#maxFrameSize}-byte maximum (FRAME_SIZE_ERROR)`);
      }
      if (this.#buf.length < FRAME_HEADER_BYTES + length) break;
      frames.push({
        type: this.#buf.readUInt8(3),
        flags: this.#buf.readUInt8(4),
        streamId: this.#buf.readUInt32BE(5) & 0x7fffffff,
        payload: this.#buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length),
      });
      this.#buf = this.#buf.subarray(FRAME_HEADER_BYTES + length);
    }
    return frames;
  }
}
