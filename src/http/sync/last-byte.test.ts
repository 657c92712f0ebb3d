import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestSpec } from '../request-spec.js';
import { tcpServer, type TestServer } from '../../../test/helpers/servers.js';
import { Http1ResponseReader, serializeHttp1 } from './http1-raw.js';
import { lastByteBurst } from './last-byte.js';

interface Seen {
  /** Byte count of each data event, in order. */
  chunks: number[];
  /** performance.now() of each data event (the server runs in this process). */
  at: number[];
  total: Buffer;
}

/** When the connection had received `bytes` bytes in all (undefined: never). */
function reached(s: Seen, bytes: number): number | undefined {
  let sum = 0;
  for (let k = 0; k < s.chunks.length; k++) {
    sum += s.chunks[k] ?? 0;
    if (sum >= bytes) return s.at[k];
  }
  return undefined;
}

/** A raw HTTP/1.1 server that records how each connection's bytes arrived, then answers. */
async function rawServer(expected: {
  bytes: number;
}): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const s: Seen = { chunks: [], at: [], total: Buffer.alloc(0) };
    seen.push(s);
    socket.on('data', (d: Buffer) => {
      s.chunks.push(d.length);
      s.at.push(performance.now());
      s.total = Buffer.concat([s.total, d]);
      if (s.total.length >= expected.bytes) {
        socket.end(
          'HTTP/1.1 201 Created\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
        );
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

function spec(url: string, body: string | undefined): RequestSpec {
  return {
    method: body === undefined ? 'GET' : 'POST',
    url: `${url}/pay?x=1`,
    headers: { 'idempotency-key': 'k', 'content-type': 'application/json' },
    body,
    label: 'b',
    key: 'k',
    principal: 'default',
  };
}

const opts = { bodyCap: 1024, timeoutMs: 5000, now: () => performance.now(), quietMs: 60 };

describe('lastByteBurst', () => {
  it.each([
    ['with a body: the body’s last byte', '{"amount":100}'],
    ['without a body: the last byte of the header block', undefined],
  ])('withholds the last two bytes (%s) until the release', async (_name, body) => {
    const expected = { bytes: Number.POSITIVE_INFINITY };
    const srv = await rawServer(expected);
    closers.push(srv.close);
    const wire = serializeHttp1(spec(srv.url, body));
    expected.bytes = wire.length;
    const specs = Array.from({ length: 5 }, () => spec(srv.url, body));
    const out = await lastByteBurst(specs, opts);

    expect(srv.seen).toHaveLength(5);
    // The server shares our event loop: what it read after the release loop, it read after the release.
    const release = Math.min(...out.results.map((r) => r.sentAt ?? Number.POSITIVE_INFINITY));
    for (const s of srv.seen) {
      // The request arrived whole: all but the last two bytes before the release, those two
      // (the wake-up byte, then the final one) after it.
      expect(s.total.length).toBe(wire.length);
      const before = s.at.filter((t) => t < release).length;
      expect(s.chunks.slice(0, before).reduce((a, b) => a + b, 0)).toBe(wire.length - 2);
      expect(s.chunks.slice(before).reduce((a, b) => a + b, 0)).toBe(2);
    }
    expect(srv.seen[0]?.total.toString('latin1').endsWith(body ?? '\r\n\r\n')).toBe(true);
    for (const r of out.results) {
      expect(r.status).toBe(201);
      expect(r.body.toString()).toBe('ok');
      expect(r.sentAt).toBeTypeOf('number');
    }
  });

  it('releases only after the quiet period that follows the flushed prefixes', async () => {
    const expected = { bytes: Number.POSITIVE_INFINITY };
    const srv = await rawServer(expected);
    closers.push(srv.close);
    const wire = serializeHttp1(spec(srv.url, '{"amount":100}'));
    expected.bytes = wire.length;
    const out = await lastByteBurst(
      Array.from({ length: 3 }, () => spec(srv.url, '{"amount":100}')),
      { ...opts, quietMs: 150 },
    );
    const prefixesIn = Math.max(...srv.seen.map((s) => reached(s, wire.length - 2) ?? Number.NaN));
    const firstFinal = Math.min(...srv.seen.map((s) => reached(s, wire.length - 1) ?? Number.NaN));
    // Timers may fire a few ms early against performance.now(); the pause is 150 ms.
    expect(firstFinal - prefixesIn).toBeGreaterThanOrEqual(140);
    expect(out.quietMs).toBeGreaterThanOrEqual(140);
    for (const r of out.results) expect(r.status).toBe(201);
  });

  it('ends the quiet period at the request deadline: the final bytes are never written', async () => {
    const srv = await rawServer({ bytes: Number.POSITIVE_INFINITY });
    closers.push(srv.close);
    const wire = serializeHttp1(spec(srv.url, '{}'));
    const t0 = performance.now();
    const out = await lastByteBurst([spec(srv.url, '{}'), spec(srv.url, '{}')], {
      ...opts,
      timeoutMs: 200,
      quietMs: 1_000,
    });
    expect(performance.now() - t0).toBeLessThan(900);
    for (const r of out.results) expect(r.error?.code).toBe('timeout');
    for (const s of srv.seen) expect(s.total.length).toBe(wire.length - 2);
  });

  it('ends the quiet period when every request was answered early: nothing more is written', async () => {
    const s: TestServer = await tcpServer((sock) =>
      sock.once('data', () => sock.write('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n')),
    );
    closers.push(() => s.close());
    const t0 = performance.now();
    const out = await lastByteBurst([spec(s.url, '{}'), spec(s.url, '{}')], { ...opts, quietMs: 1_000 });
    expect(performance.now() - t0).toBeLessThan(900);
    for (const r of out.results) {
      expect(r.status).toBe(401);
      // Never released: the answer came before the request was complete.
      expect(r.sentAt).toBeUndefined();
    }
  });

  it('ends the quiet period on abort: the final bytes are never written', async () => {
    const srv = await rawServer({ bytes: Number.POSITIVE_INFINITY });
    closers.push(srv.close);
    const wire = serializeHttp1(spec(srv.url, '{}'));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    const out = await lastByteBurst([spec(srv.url, '{}'), spec(srv.url, '{}')], {
      ...opts,
      quietMs: 1_000,
      signal: ac.signal,
    });
    expect(performance.now() - t0).toBeLessThan(900);
    for (const r of out.results) expect(r.error?.code).toBe('aborted');
    for (const s of srv.seen) expect(s.total.length).toBe(wire.length - 2);
  });

  it('never releases after a stop (Ctrl-C): the withheld requests are recorded as aborted', async () => {
    const srv = await rawServer({ bytes: Number.POSITIVE_INFINITY });
    closers.push(srv.close);
    const wire = serializeHttp1(spec(srv.url, '{}'));
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const t0 = performance.now();
    const out = await lastByteBurst([spec(srv.url, '{}'), spec(srv.url, '{}')], {
      ...opts,
      quietMs: 1_000,
      stop: stop.signal,
    });
    expect(performance.now() - t0).toBeLessThan(900);
    for (const r of out.results) expect(r.error?.code).toBe('aborted');
    for (const s of srv.seen) expect(s.total.length).toBe(wire.length - 2);
  });

  it('records a transport error, not an answer, when nothing listens', async () => {
    const srv = await rawServer({ bytes: 1 });
    await srv.close();
    const out = await lastByteBurst([spec(srv.url, '{}'), spec(srv.url, '{}')], opts);
    for (const r of out.results) {
      expect(r.status).toBeUndefined();
      expect(r.error?.code).toBe('connect-refused');
    }
  });

  it('keeps the deadline while a target that stops reading holds the withheld prefix', async () => {
    const s: TestServer = await tcpServer((sock) => sock.pause());
    closers.push(() => s.close());
    const t0 = performance.now();
    const out = await lastByteBurst([spec(s.url, 'x'.repeat(32 * 1024 * 1024))], { ...opts, timeoutMs: 500 });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(out.results[0]?.error?.code).toBe('timeout');
  });

  it('honours an abort before the release', async () => {
    const s: TestServer = await tcpServer((sock) => sock.pause());
    closers.push(() => s.close());
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const t0 = performance.now();
    const out = await lastByteBurst([spec(s.url, 'x'.repeat(32 * 1024 * 1024))], {
      ...opts,
      timeoutMs: 20_000,
      signal: ac.signal,
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(out.results[0]?.error?.code).toBe('aborted');
  });
});

describe('Http1ResponseReader', () => {
  it('skips thousands of interim answers in one packet without recursing', () => {
    const r = new Http1ResponseReader(100, 'GET');
    const done = r.push(
      Buffer.from(`${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(20_000)}HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok`),
    );
    expect(done).toBe(true);
    expect(r.result()?.status).toBe(200);
    expect(r.result()?.body.toString()).toBe('ok');
  });

  it('records a header named like an Object.prototype member as sent', () => {
    const r = new Http1ResponseReader(100, 'GET');
    r.push(Buffer.from('HTTP/1.1 200 OK\r\nconstructor: x\r\ncontent-length: 0\r\n\r\n'));
    expect(r.result()?.headers['constructor']).toBe('x');
  });
});
