import http2 from 'node:http2';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestSpec } from '../request-spec.js';
import { Flag, FrameReader, FrameType, PREFACE, type Frame } from './h2-frames.js';
import { singlePacketBurst } from './single-packet.js';

interface H2Target {
  url: string;
  received: { path: string; body: string; key: string | undefined }[];
  close: () => Promise<void>;
}

async function h2cServer(settings: http2.Settings = {}, bodyBytes = 0): Promise<H2Target> {
  const received: H2Target['received'] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer({ settings }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      received.push({
        path: req.url,
        body: Buffer.concat(chunks).toString(),
        key: typeof key === 'string' ? key : undefined,
      });
      res.writeHead(201, { 'content-type': 'text/plain', 'x-seq': String(received.length) });
      res.end(bodyBytes > 0 ? Buffer.alloc(bodyBytes, 'x') : `seen ${received.length}`);
    });
  });
  server.on('session', (s: http2.ServerHttp2Session) => sessions.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function spec(url: string, i: number, body: string | undefined): RequestSpec {
  return {
    method: body === undefined ? 'GET' : 'POST',
    url: `${url}/pay/${i}`,
    headers: { 'idempotency-key': `k${i}`, 'content-type': 'application/json', connection: 'keep-alive' },
    body,
    label: `b${i}`,
    key: `k${i}`,
    principal: 'default',
  };
}

/** Wraps the socket's write so every buffer the client writes is kept, in order. */
function spyWrites(writes: Buffer[]): (socket: net.Socket) => void {
  return (socket) => {
    const original = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = (...args: unknown[]) => {
      const data = args[0];
      if (Buffer.isBuffer(data)) writes.push(Buffer.from(data));
      return original(...args);
    };
  };
}

function framesOf(write: Buffer): Frame[] {
  const body = write.subarray(0, PREFACE.length).equals(PREFACE) ? write.subarray(PREFACE.length) : write;
  return new FrameReader().push(body);
}

const opts = { bodyCap: 1024, timeoutMs: 5000, now: () => performance.now(), settleMs: 20 };

describe('singlePacketBurst', () => {
  it.each([
    ['with bodies', (i: number): string | undefined => `{"amount":${100 + i}}`],
    ['without bodies', (): string | undefined => undefined],
  ])('flushes every withheld END_STREAM frame in one socket write (%s)', async (_name, bodyOf) => {
    const srv = await h2cServer();
    closers.push(srv.close);
    const writes: Buffer[] = [];
    const n = 20;
    const specs = Array.from({ length: n }, (_, i) => spec(srv.url, i, bodyOf(i)));
    const out = await singlePacketBurst(specs, { ...opts, onSocket: spyWrites(writes) });

    const ending = writes.filter((w) =>
      framesOf(w).some((f) => f.type === FrameType.DATA && (f.flags & Flag.END_STREAM) !== 0),
    );
    expect(ending).toHaveLength(1);
    const release = framesOf(ending[0] ?? Buffer.alloc(0));
    // That write holds the n final frames and nothing else, each at most one byte long.
    expect(release).toHaveLength(n);
    expect(
      release.every((f) => f.type === FrameType.DATA && f.flags === Flag.END_STREAM && f.payload.length <= 1),
    ).toBe(true);
    expect(new Set(release.map((f) => f.streamId)).size).toBe(n);
    // No HEADERS frame ended its stream early.
    const early = writes.flatMap(framesOf).filter((f) => f.type === FrameType.HEADERS);
    expect(early).toHaveLength(n);
    expect(early.every((f) => (f.flags & Flag.END_STREAM) === 0)).toBe(true);

    expect(srv.received).toHaveLength(n);
    const bodies = srv.received.map((r) => r.body).sort();
    expect(bodies).toEqual(specs.map((s) => s.body ?? '').sort());
    expect(new Set(srv.received.map((r) => r.key)).size).toBe(n);
    const sent = out.results.map((r) => r.sentAt);
    expect(new Set(sent).size).toBe(1);
    for (const r of out.results) {
      expect(r.status).toBe(201);
      expect(r.headers['x-seq']).toMatch(/^\d+$/);
      expect(r.body.toString()).toMatch(/^seen \d+$/);
    }
  });

  it('respects SETTINGS_MAX_CONCURRENT_STREAMS by releasing in several packets, and says so', async () => {
    const srv = await h2cServer({ maxConcurrentStreams: 4 });
    closers.push(srv.close);
    const writes: Buffer[] = [];
    const specs = Array.from({ length: 10 }, (_, i) => spec(srv.url, i, '{}'));
    const out = await singlePacketBurst(specs, { ...opts, onSocket: spyWrites(writes) });
    expect(out.results.every((r) => r.status === 201)).toBe(true);
    expect(srv.received).toHaveLength(10);
    const releases = writes.filter((w) =>
      framesOf(w).some((f) => f.type === FrameType.DATA && f.flags & Flag.END_STREAM),
    );
    expect(releases.map((w) => framesOf(w).length)).toEqual([4, 4, 2]);
    expect(out.notes.join(' ')).toMatch(/4 concurrent streams/);
  });

  it('warns when the final frames exceed one packet', async () => {
    const srv = await h2cServer();
    closers.push(srv.close);
    const specs = Array.from({ length: 160 }, (_, i) => spec(srv.url, i, '{}'));
    const out = await singlePacketBurst(specs, opts);
    expect(out.results.every((r) => r.status === 201)).toBe(true);
    expect(out.notes.join(' ')).toMatch(/more than one packet/);
  });

  it('caps response bodies at bodyCap and marks them truncated', async () => {
    const srv = await h2cServer({}, 5000);
    closers.push(srv.close);
    const out = await singlePacketBurst([spec(srv.url, 1, '{}'), spec(srv.url, 2, '{}')], { ...opts, bodyCap: 100 });
    for (const r of out.results) {
      expect(r.status).toBe(201);
      expect(r.body.length).toBe(100);
      expect(r.truncated).toBe(true);
    }
  });

  it('reads bodies past the receive window by topping it up with WINDOW_UPDATE', async () => {
    // 20 MiB on two streams exceeds our 16 MiB windows: without updates the server would stall.
    const size = 20 * 1024 * 1024;
    const srv = await h2cServer({}, size);
    closers.push(srv.close);
    const out = await singlePacketBurst([spec(srv.url, 1, '{}'), spec(srv.url, 2, '{}')], {
      ...opts,
      timeoutMs: 20_000,
      bodyCap: 32 * 1024 * 1024,
    });
    for (const r of out.results) {
      expect(r.error).toBeUndefined();
      expect(r.bytes).toBe(size);
      expect(r.truncated).toBe(false);
    }
  }, 30_000);

  it('records a transport error when the target does not speak HTTP/2', async () => {
    const { createServer } = await import('node:http');
    const h1 = createServer((_req, res) => res.end('h1'));
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => h1.close(() => r())));
    h1.on('connection', (s: net.Socket) => closers.push(() => Promise.resolve(s.destroy()).then(() => undefined)));
    const { port } = h1.address() as net.AddressInfo;
    const out = await singlePacketBurst([spec(`http://127.0.0.1:${port}`, 1, '{}')], { ...opts, timeoutMs: 1500 });
    expect(out.results[0]?.status).toBeUndefined();
    expect(out.results[0]?.error).toBeDefined();
  });
});
