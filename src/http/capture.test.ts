import type net from 'node:net';
import { Client, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpServer, type TestServer } from '../../test/helpers/servers.js';
import { capture } from './capture.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const o = { bodyCap: 1024, timeoutMs: 200, now: () => performance.now() };
const request: Dispatcher.DispatchOptions = { origin: 'http://127.0.0.1:9', path: '/', method: 'GET', headers: {} };

/** A dispatcher that queues the request and never gets to it (every connection busy, or connecting). */
const neverDispatches = { dispatch: () => true } as unknown as Dispatcher;

describe('capture', () => {
  it('keeps the deadline for a request that never leaves the queue', async () => {
    const t0 = performance.now();
    const r = await Promise.race([
      capture(neverDispatches, request, o),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 3000)),
    ]);
    expect(r).not.toBe('hung');
    expect(r === 'hung' ? undefined : r.error?.code).toBe('timeout');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('honours an abort for a request that never leaves the queue', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const r = await Promise.race([
      capture(neverDispatches, request, { ...o, timeoutMs: 10_000, signal: ac.signal }),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 3000)),
    ]);
    expect(r === 'hung' ? 'hung' : r.error?.code).toBe('aborted');
  });

  it('closes the connection a CONNECT answer hands over', async () => {
    let closed: Promise<void> = Promise.resolve();
    const s = await tcpServer((sock: net.Socket) => {
      closed = new Promise((resolve) => sock.once('close', () => resolve()));
      sock.once('data', () => sock.write('HTTP/1.1 200 Connection established\r\n\r\n'));
    });
    servers.push(s);
    const client = new Client(s.url);
    try {
      const r = await capture(client, { ...request, origin: s.url, method: 'CONNECT', path: 'a.test:443' }, o);
      expect(r.error?.code).toBe('protocol');
      const outcome = await Promise.race([
        closed.then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still open'), 1000)),
      ]);
      expect(outcome).toBe('closed');
    } finally {
      await client.destroy();
    }
  });

  it('records a header named like an Object.prototype member as sent', async () => {
    const s = await tcpServer((sock: net.Socket) =>
      sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nconstructor: x\r\ncontent-length: 0\r\n\r\n')),
    );
    servers.push(s);
    const client = new Client(s.url);
    try {
      const r = await capture(client, { ...request, origin: s.url }, o);
      expect(r.headers['constructor']).toBe('x');
    } finally {
      await client.destroy();
    }
  });
});
