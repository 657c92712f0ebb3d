/**
 * The single-packet transport against HTTP/2 peers that misbehave on purpose: every burst must
 * end within its deadline with recorded failures, without crashing, looping or buffering without
 * bound.
 */
import http2 from 'node:http2';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpServer, type TestServer } from '../../../test/helpers/servers.js';
import type { RequestSpec } from '../request-spec.js';
import {
  encodeFrame,
  Flag,
  FrameReader,
  FrameType,
  HeaderEncoder,
  pingFrame,
  PREFACE,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  type Frame,
} from './h2-frames.js';
import { MAX_HEADER_BLOCK_BYTES, singlePacketBurst } from './single-packet.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Peer {
  socket: net.Socket;
  write(frame: Buffer): void;
}

/**
 * A raw HTTP/2 peer: reads the client preface, sends `greeting` (normally its SETTINGS), then
 * hands every client frame to `onFrame`. With `read: false` it stops reading once greeted.
 */
async function h2Peer(o: {
  greeting: Buffer;
  onFrame?: (f: Frame, peer: Peer) => void;
  onGreeted?: (peer: Peer) => void;
  read?: boolean;
}): Promise<TestServer> {
  const s = await tcpServer((socket) => {
    const reader = new FrameReader();
    let buf = Buffer.alloc(0);
    let greeted = false;
    const peer: Peer = { socket, write: (f) => void (socket.destroyed || socket.write(f)) };
    socket.on('data', (d: Buffer) => {
      let frames = d;
      if (!greeted) {
        buf = Buffer.concat([buf, d]);
        if (buf.length < PREFACE.length) return;
        greeted = true;
        socket.write(o.greeting);
        if (o.read === false) socket.pause();
        o.onGreeted?.(peer);
        if (o.read === false) return;
        frames = buf.subarray(PREFACE.length);
      }
      for (const f of reader.push(frames)) o.onFrame?.(f, peer);
    });
  });
  servers.push(s);
  return s;
}

function spec(url: string, i: number, body: string | undefined): RequestSpec {
  return {
    method: body === undefined ? 'GET' : 'POST',
    url: `${url}/pay/${i}`,
    headers: { 'idempotency-key': `k${i}`, 'content-type': 'application/json' },
    body,
    label: `b${i}`,
    key: `k${i}`,
    principal: 'default',
  };
}

const opts = { bodyCap: 1024, timeoutMs: 1500, now: () => performance.now(), settleMs: 10 };

describe('singlePacketBurst against hostile HTTP/2 peers', () => {
  it('treats SETTINGS_MAX_FRAME_SIZE = 0 as a connection error instead of looping forever', async () => {
    const peer = await h2Peer({ greeting: settingsFrame([[Setting.MAX_FRAME_SIZE, 0]]) });
    const t0 = performance.now();
    const out = await singlePacketBurst([spec(peer.url, 1, '{"a":1}'), spec(peer.url, 2, undefined)], opts);
    expect(performance.now() - t0).toBeLessThan(1000);
    for (const r of out.results) {
      expect(r.status).toBeUndefined();
      expect(r.error?.message).toMatch(/MAX_FRAME_SIZE/);
    }
  });

  it('rejects a frame longer than the maximum we announced instead of buffering it', async () => {
    const peer = await h2Peer({
      greeting: Buffer.concat([settingsFrame([]), encodeFrame(0xfa, 0, 0, Buffer.alloc(64 * 1024))]),
    });
    const out = await singlePacketBurst([spec(peer.url, 1, '{}')], opts);
    expect(out.results[0]?.error?.message).toMatch(/exceeds the 16384-byte maximum/);
  });

  it('bounds a header block that CONTINUATION frames keep extending', async () => {
    let sent = 0;
    const peer = await h2Peer({
      greeting: settingsFrame([]),
      onFrame: (f, p) => {
        if (f.type !== FrameType.HEADERS) return;
        // HEADERS without END_HEADERS, then CONTINUATION after CONTINUATION, never ending.
        p.write(encodeFrame(FrameType.HEADERS, 0, f.streamId, Buffer.from([0x88])));
        const filler = encodeFrame(FrameType.CONTINUATION, 0, f.streamId, Buffer.alloc(16_384, 0x40));
        const pump = (): void => {
          while (!p.socket.destroyed && sent < 64 * MAX_HEADER_BLOCK_BYTES) {
            sent += filler.length;
            if (!p.socket.write(filler)) return void p.socket.once('drain', pump);
          }
        };
        pump();
      },
    });
    const out = await singlePacketBurst([spec(peer.url, 1, '{}')], opts);
    expect(out.results[0]?.error?.message).toMatch(/header block over/);
    expect(sent).toBeLessThan(64 * MAX_HEADER_BLOCK_BYTES);
  });

  it('fails a stream whose small header block decodes to an oversized header list', async () => {
    const encoder = new HeaderEncoder();
    const big = 'v'.repeat(4000);
    const peer = await h2Peer({
      greeting: settingsFrame([]),
      onFrame: (f, p) => {
        if (f.type !== FrameType.DATA || !(f.flags & Flag.END_STREAM)) return;
        // One table entry, referenced again and again: a few hundred bytes on the wire.
        const fields: [string, string][] = [
          [':status', '200'],
          ...Array.from({ length: 40 }, (): [string, string] => ['x-big', big]),
        ];
        const block = encoder.encode(fields);
        expect(block.length).toBeLessThan(8 * 1024);
        p.write(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, f.streamId, block));
      },
    });
    const out = await singlePacketBurst([spec(peer.url, 1, '{}')], opts);
    expect(out.results[0]?.status).toBeUndefined();
    expect(out.results[0]?.error?.message).toMatch(/response headers over/);
  });

  it('records a response header named like an Object.prototype member as sent', async () => {
    // :status 200 (static index 8), then `constructor: x` as a literal without indexing.
    const block = Buffer.concat([Buffer.from([0x88, 0x00, 11]), Buffer.from('constructor'), Buffer.from([1, 0x78])]);
    const peer = await h2Peer({
      greeting: settingsFrame([]),
      onFrame: (f, p) => {
        if (f.type !== FrameType.DATA || !(f.flags & Flag.END_STREAM)) return;
        p.write(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, f.streamId, block));
      },
    });
    const out = await singlePacketBurst([spec(peer.url, 1, '{}')], opts);
    expect(out.results[0]?.headers['constructor']).toBe('x');
  });

  it('gives up on a peer that floods PINGs without reading the ACKs', async () => {
    const peer = await h2Peer({
      greeting: settingsFrame([]),
      read: false,
      onGreeted: (p) => {
        const pings = Buffer.concat(Array.from({ length: 4096 }, () => pingFrame(Buffer.alloc(8))));
        let rounds = 0;
        const pump = (): void => {
          while (!p.socket.destroyed && rounds < 200) {
            rounds++;
            if (!p.socket.write(pings)) return void p.socket.once('drain', pump);
          }
        };
        pump();
      },
    });
    const out = await singlePacketBurst([spec(peer.url, 1, '{}')], { ...opts, timeoutMs: 10_000 });
    expect(out.results[0]?.error?.message).toMatch(/without reading the ACKs/);
  }, 20_000);

  it('keeps the deadline while a peer that stops reading holds the pre-sent frames', async () => {
    const peer = await h2Peer({
      // Windows opened wide, so the body is sent and sits in the socket buffers.
      greeting: Buffer.concat([
        settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]),
        windowUpdateFrame(0, 2 ** 31 - 1 - 65_535),
      ]),
      read: false,
    });
    const body = 'x'.repeat(32 * 1024 * 1024);
    const t0 = performance.now();
    const out = await singlePacketBurst([spec(peer.url, 1, body)], { ...opts, timeoutMs: 500 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(out.results[0]?.error?.code).toBe('timeout');
  });

  it('honours an abort while the pre-sent frames are stuck', async () => {
    const peer = await h2Peer({
      greeting: Buffer.concat([
        settingsFrame([[Setting.INITIAL_WINDOW_SIZE, 2 ** 31 - 1]]),
        windowUpdateFrame(0, 2 ** 31 - 1 - 65_535),
      ]),
      read: false,
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = performance.now();
    const out = await singlePacketBurst([spec(peer.url, 1, 'x'.repeat(32 * 1024 * 1024))], {
      ...opts,
      timeoutMs: 20_000,
      signal: ac.signal,
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(out.results[0]?.error?.code).toBe('aborted');
  });

  it('honours an abort during a handshake the peer never completes', async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    const out = await singlePacketBurst([spec(s.url, 1, '{}')], { ...opts, timeoutMs: 20_000, signal: ac.signal });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(out.results[0]?.error?.code).toBe('aborted');
  });

  it('does not send a body whose final byte would exceed the flow-control window', async () => {
    const srv = http2.createServer({ settings: { initialWindowSize: 10 } }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(201).end('ok'));
    });
    srv.on('session', (sess) => sess.on('error', () => undefined));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push({
      url: '',
      close: () => new Promise<void>((r) => srv.close(() => r())),
    });
    const url = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
    const out = await singlePacketBurst([spec(url, 1, 'x'.repeat(11)), spec(url, 2, 'y'.repeat(10))], opts);
    expect(out.results[0]?.error?.message).toMatch(/flow-control window/);
    expect(out.results[1]?.status).toBe(201);
  });

  it('reads SETTINGS_MAX_CONCURRENT_STREAMS again before each batch', async () => {
    const encoder = new HeaderEncoder();
    let opened = 0;
    let open = 0;
    let maxOpen = 0;
    let maxOpenLater = 0;
    const peer = await h2Peer({
      greeting: settingsFrame([[Setting.MAX_CONCURRENT_STREAMS, 4]]),
      onFrame: (f, p) => {
        if (f.type === FrameType.HEADERS) {
          opened++;
          open++;
          maxOpen = Math.max(maxOpen, open);
          // Lowered while the first batch is in flight; later batches must keep to it.
          if (opened === 1) p.write(settingsFrame([[Setting.MAX_CONCURRENT_STREAMS, 2]]));
          if (opened > 4) maxOpenLater = Math.max(maxOpenLater, open);
        }
        if (f.type === FrameType.DATA && f.flags & Flag.END_STREAM) {
          const block = encoder.encode([[':status', '201']]);
          p.write(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, f.streamId, block));
          open--;
        }
      },
    });
    const out = await singlePacketBurst(
      Array.from({ length: 8 }, (_, i) => spec(peer.url, i, '{}')),
      opts,
    );
    expect(out.results.map((r) => r.status)).toEqual(Array.from({ length: 8 }, () => 201));
    expect(maxOpen).toBe(4);
    expect(maxOpenLater).toBe(2);
    expect(out.notes.join(' ')).toMatch(/allows 2 concurrent streams, so 8 requests were released in 3 packets/);
  });
});
