/** Tiny loopback servers for engine and attack tests. Every server listens on 127.0.0.1:0. */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function httpServer(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A target that executes the first request of each Idempotency-Key (answered by `first`) and answers
 * every later one with that key through `again`, without executing. `GET …?key=K` reads its ledger
 * as `{ "count": 0 | 1 }`, for an http observer.
 */
export function executeOnceTarget(
  again: (res: http.ServerResponse) => void,
  first: (res: http.ServerResponse) => void = (res) => void res.writeHead(201).end('{"id":"p1"}'),
): Promise<TestServer> {
  const seen = new Set<string>();
  return httpServer((req, res) => {
    if (req.method === 'GET') {
      const k = new URL(req.url ?? '/', 'http://x').searchParams.get('key') ?? '';
      res.end(JSON.stringify({ count: seen.has(k) ? 1 : 0 }));
      return;
    }
    req.resume();
    const key = String(req.headers['idempotency-key']);
    if (seen.has(key)) return again(res);
    seen.add(key);
    first(res);
  });
}

/** A raw TCP server for misbehaving peers (malformed HTTP, stalls, resets). */
export async function tcpServer(onSocket: (s: net.Socket) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
