import { HostPolicy } from './host-policy.js';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { tcpServer, type TestServer } from '../../test/helpers/servers.js';
import { RequestBudgetError } from '../errors/errors.js';
import { HttpEngine } from './engine.js';
import type { Exchange } from './exchange.js';
import { sendWithClientFault } from './faults.js';
import { createRedactor } from './redact.js';
import type { RequestSpec } from './request-spec.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** What the server side of one connection saw: every byte, and how the connection ended. */
interface Seen {
  bytes: Buffer;
  ended: Promise<'fin' | 'reset' | 'open'>;
}

/** A raw server that records one connection and answers `answer` (or never, when undefined). */
async function recorder(answer?: string): Promise<{ url: string; seen: Promise<Seen> }> {
  let resolveSeen: (s: Seen) => void = () => undefined;
  const seen = new Promise<Seen>((r) => (resolveSeen = r));
  const server = await tcpServer((s: net.Socket) => {
    const chunks: Buffer[] = [];
    const ended = new Promise<'fin' | 'reset' | 'open'>((resolve) => {
      s.on('end', () => resolve('fin'));
      s.on('error', (err: Error & { code?: string }) => resolve(err.code === 'ECONNRESET' ? 'reset' : 'open'));
      setTimeout(() => resolve('open'), 3000).unref();
    });
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      if (answer !== undefined && Buffer.concat(chunks).includes('\r\n\r\n{"a":')) s.end(answer);
    });
    void ended.then(() => resolveSeen({ bytes: Buffer.concat(chunks), ended }));
  });
  servers.push(server);
  return { url: server.url, seen };
}

function spec(url: string, over: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method: 'POST',
    url: `${url}/pay`,
    headers: { 'idempotency-key': 'k1', 'content-type': 'application/json' },
    body: JSON.stringify({ a: 1, padding: 'x'.repeat(2000) }),
    label: 'first',
    key: 'k1',
    principal: 'default',
    ...over,
  };
}

const transport = { bodyCap: 1024, timeoutMs: 2000, now: () => performance.now() };

describe('sendWithClientFault', () => {
  it('aborts after the complete request was written, and the server received every byte', async () => {
    const { url, seen } = await recorder();
    const r = await sendWithClientFault(spec(url), { kind: 'abort-after-send', afterMs: 30 }, transport);
    expect(r.fault).toMatchObject({ completeRequestSent: true, applied: true });
    expect(r.fault.bytesWritten).toBe(r.fault.totalBytes);
    expect(r.capture.error?.code).toBe('aborted');
    expect(r.capture.sentAt).toBeDefined();
    const s = await seen;
    expect(s.bytes.length).toBe(r.fault.totalBytes);
    expect(await s.ended).toBe('fin');
  });

  it('records the answer and says the fault was not applied when the answer came first', async () => {
    const { url } = await recorder('HTTP/1.1 201 Created\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
    const r = await sendWithClientFault(spec(url), { kind: 'abort-after-send', afterMs: 1500 }, transport);
    expect(r.fault.applied).toBe(false);
    expect(r.capture.status).toBe(201);
    expect(r.capture.error).toBeUndefined();
  });

  it('resets mid-body: the server gets part of the body, then a reset', async () => {
    const { url, seen } = await recorder();
    const r = await sendWithClientFault(spec(url), { kind: 'reset-mid-body' }, transport);
    expect(r.fault).toMatchObject({ applied: true, completeRequestSent: false });
    expect(r.capture.error?.code).toBe('reset');
    const s = await seen;
    expect(s.bytes.length).toBeLessThan(r.fault.totalBytes);
    expect(s.bytes.toString('latin1')).toContain('\r\n\r\n');
    // An RST that overtakes unread data reads as EOF on Linux, so the server may see either.
    expect(['reset', 'fin']).toContain(await s.ended);
  });

  it('resets right after the body: the server has the complete request, then a reset', async () => {
    const { url, seen } = await recorder();
    const r = await sendWithClientFault(spec(url), { kind: 'reset-after-body' }, transport);
    expect(r.fault).toMatchObject({ applied: true, completeRequestSent: true });
    const s = await seen;
    expect(s.bytes.length).toBe(r.fault.totalBytes);
    expect(['reset', 'fin']).toContain(await s.ended);
  });

  it('never waits past the request deadline, even when the abort comes later', async () => {
    const { url } = await recorder();
    const t0 = performance.now();
    const r = await sendWithClientFault(
      spec(url, { timeoutMs: 200 }),
      { kind: 'abort-after-send', afterMs: 30_000 },
      transport,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.capture.error?.code).toBe('timeout');
  });
});

describe('sendWithClientFault cleanup', () => {
  it('sends nothing when the run was aborted before the fault began', async () => {
    const { url, seen } = await recorder();
    const r = await sendWithClientFault(
      spec(url),
      { kind: 'reset-after-body' },
      { ...transport, signal: AbortSignal.abort() },
    );
    expect(r.capture.error?.code).toBe('aborted');
    expect(r.fault.applied).toBe(false);
    expect(r.fault.completeRequestSent).toBe(false);
    expect((await seen).bytes.length).toBe(0);
  });

  it('leaves no abort timer behind when the answer comes first', async () => {
    const { url } = await recorder('HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok');
    const timers = (): number => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
    const before = timers();
    const r = await sendWithClientFault(spec(url), { kind: 'abort-after-send', afterMs: 60_000 }, transport);
    expect(r.capture.status).toBe(201);
    // (The recorder's own watchdog is unref'd, so not counted.)
    expect(timers() - before).toBe(0);
  });
});

describe('HttpEngine.sendWithFault', () => {
  it('counts the request against the budget and records it in the exchange stream', async () => {
    const { url } = await recorder();
    const recorded: Exchange[] = [];
    const e = new HttpEngine({
      hostPolicy: HostPolicy.loopbackOnly(),
      timeoutMs: 2000,
      bodyCap: 1024,
      maxRequests: 1,
      rate: undefined,
      redactor: createRedactor({ secretHeaders: ['Authorization'], keyHeader: 'Idempotency-Key', secretValues: [] }),
      now: () => performance.now(),
      onExchange: (ex) => recorded.push(ex),
    });
    try {
      const r = await e.sendWithFault(spec(url), { attack: 'a', endpoint: 'e' }, { kind: 'reset-after-body' });
      expect(recorded).toEqual([r.exchange]);
      expect(r.exchange.error?.code).toBe('reset');
      expect(e.requestsSent).toBe(1);
      await expect(
        e.sendWithFault(spec(url), { attack: 'a', endpoint: 'e' }, { kind: 'reset-after-body' }),
      ).rejects.toBeInstanceOf(RequestBudgetError);
    } finally {
      await e.close();
    }
  });
});
