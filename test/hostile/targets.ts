/**
 * Misbehaving targets, one per failure mode a real API (or what sits in front of it) can show.
 * Each speaks just enough HTTP to get past the TCP preflight and then breaks in its own way.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { httpServer, tcpServer, type TestServer } from '../helpers/servers.js';

export interface StreamingServer extends TestServer {
  /** Bytes of body the server managed to hand to the socket. */
  bytesWritten(): number;
}

const HEAD_201_JSON = 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';

/** Accepts the connection, reads the request, never writes a byte. */
export const neverAnswers = (): Promise<TestServer> => tcpServer(() => undefined);

/** Sends the status line and headers, then nothing more. */
export const headersThenStall = (): Promise<TestServer> =>
  tcpServer((s) => s.once('data', () => s.write(`${HEAD_201_JSON}{"id":`)));

/** A valid answer, one byte per second. */
export const trickle = (): Promise<TestServer> =>
  tcpServer((s) =>
    s.once('data', () => {
      const body = '{"id":"pay_1","status":"ok"}';
      s.write(`HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      let i = 0;
      const timer = setInterval(() => {
        if (i >= body.length || s.destroyed) {
          clearInterval(timer);
          return;
        }
        s.write(body.charAt(i++));
      }, 1000);
      s.once('close', () => clearInterval(timer));
    }),
  );

/** A huge (or endless) body, produced chunk by chunk under backpressure: never allocated whole. */
async function streamingServer(opts: { contentLength?: number }): Promise<StreamingServer> {
  let written = 0;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const server = await httpServer((req, res) => {
    req.resume();
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/octet-stream' };
    if (opts.contentLength !== undefined) headers['content-length'] = opts.contentLength;
    res.writeHead(201, headers);
    const limit = opts.contentLength ?? Number.POSITIVE_INFINITY;
    const pump = (): void => {
      while (written < limit && !res.destroyed) {
        const n = Math.min(chunk.length, limit - written);
        written += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    res.on('error', () => undefined);
    pump();
  });
  return { ...server, bytesWritten: () => written };
}

export const twoGigabyteBody = (): Promise<StreamingServer> => streamingServer({ contentLength: 2 * 1024 ** 3 });
export const endlessChunkedBody = (): Promise<StreamingServer> => streamingServer({});

/** Not HTTP at all after the first line. */
export const malformedHttp = (): Promise<TestServer> =>
  tcpServer((s) => s.once('data', () => s.end('HTTP/1.1 two-hundred OK\r\nContent-Length: nope\r\n\r\n')));

/** Starts a proper answer, then resets the connection (RST, not FIN). */
export const resetMidResponse = (): Promise<TestServer> =>
  tcpServer((s) =>
    s.once('data', () => {
      s.write(`${HEAD_201_JSON}{"id":"pay_`);
      setTimeout(() => s.resetAndDestroy(), 20);
    }),
  );

/** Reads the request and closes the connection without a word. */
export const closesBeforeAnswering = (): Promise<TestServer> => tcpServer((s) => s.once('data', () => s.end()));

/** Redirects every request to itself. */
export const redirectLoop = (): Promise<TestServer> =>
  httpServer((req, res) => {
    req.resume();
    res.writeHead(307, { location: req.url ?? '/' }).end();
  });

/**
 * A target whose payments work but whose ledger (read by the http observer) answers something
 * else than the JSON the observer needs.
 */
export function brokenLedger(ledger: { contentType: string; body: string }): Promise<TestServer> {
  let n = 0;
  return httpServer((req, res) => {
    req.resume();
    if (req.url?.startsWith('/ledger')) {
      res.writeHead(200, { 'content-type': ledger.contentType }).end(ledger.body);
      return;
    }
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `pay_${++n}` }));
    });
  });
}

/** HTTPS with a self-signed certificate issued to another name. */
export async function badCertificate(): Promise<TestServer> {
  const dir = join(import.meta.dirname, 'fixtures');
  const server = https.createServer(
    { key: readFileSync(join(dir, 'self-signed.key')), cert: readFileSync(join(dir, 'self-signed.crt')) },
    (req, res) => {
      req.resume();
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"pay_1"}');
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
