import { afterEach, describe, expect, it } from 'vitest';
import { httpServer, tcpServer, type TestServer } from '../../test/helpers/servers.js';
import { HostRefusedError, InterruptedError, RequestBudgetError } from '../errors/errors.js';
import { HttpEngine } from './engine.js';
import type { Exchange } from './exchange.js';
import { HostPolicy } from './host-policy.js';
import { createRedactor } from './redact.js';
import type { RequestSpec } from './request-spec.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function engine(over: Partial<ConstructorParameters<typeof HttpEngine>[0]> = {}): {
  e: HttpEngine;
  recorded: Exchange[];
} {
  const recorded: Exchange[] = [];
  const e = new HttpEngine({
    hostPolicy: HostPolicy.loopbackOnly(),
    timeoutMs: 2000,
    bodyCap: 1024,
    maxRequests: 100,
    rate: undefined,
    redactor: createRedactor({
      secretHeaders: ['Authorization'],
      keyHeader: 'Idempotency-Key',
      secretValues: ['hunter2-secret'],
    }),
    now: () => performance.now(),
    onExchange: (ex) => recorded.push(ex),
    ...over,
  });
  return { e, recorded };
}

function spec(url: string, over: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method: 'POST',
    url,
    headers: { Authorization: 'Bearer hunter2-secret', 'Idempotency-Key': 'k1', 'content-type': 'application/json' },
    body: '{"a":1}',
    label: 'r',
    key: 'k1',
    principal: 'default',
    ...over,
  };
}
const ctx = { attack: 'test', endpoint: 'ep' };

describe('HttpEngine.send', () => {
  it('records status, headers, body, monotonic timings, and redacts secrets', async () => {
    const s = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json', 'set-cookie': 'sid=1' });
        res.end(JSON.stringify({ echo: body, auth: req.headers.authorization }));
      });
    });
    servers.push(s);
    const { e, recorded } = engine({
      redactor: createRedactor({
        secretHeaders: ['Authorization', 'Set-Cookie'],
        keyHeader: 'Idempotency-Key',
        secretValues: ['hunter2-secret'],
      }),
    });
    const ex = await e.send(spec(`${s.url}/p`), ctx);
    await e.close();
    expect(ex.response?.status).toBe(201);
    expect(ex.request.headers['Authorization']).toBe('[REDACTED]');
    expect(ex.request.headers['Idempotency-Key']).toBe('k1');
    expect(ex.response?.headers['set-cookie']).toBe('[REDACTED]');
    expect(ex.response?.body).not.toContain('hunter2-secret');
    expect(JSON.parse(ex.response?.body ?? '{}')).toMatchObject({ echo: '{"a":1}' });
    const t = ex.timings;
    expect(t.queued).toBeLessThanOrEqual(t.sent ?? -1);
    expect(t.sent).toBeLessThanOrEqual(t.headers ?? -1);
    expect(t.headers).toBeLessThanOrEqual(t.done ?? -1);
    expect(recorded).toEqual([ex]);
  });

  it('records every exchange of a concurrent campaign once, each with its own URL, redacted', async () => {
    const s = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(JSON.stringify({ url: req.url, auth: req.headers.authorization })));
    });
    servers.push(s);
    const { e, recorded } = engine({ maxRequests: 1_000 });
    // Paths and queries differ per request, some repeat: the parsed-URL cache must never mix them up.
    const urls = Array.from({ length: 300 }, (_, i) => `${s.url}/p${i % 7}?n=${i % 11}&token=hunter2-secret`);
    const sent = await Promise.all(urls.map((url, i) => e.send(spec(url, { label: `r${i}` }), ctx)));
    await e.close();
    expect(recorded).toHaveLength(urls.length);
    expect(new Set(recorded.map((x) => x.id)).size).toBe(urls.length);
    sent.forEach((ex, i) => {
      expect(ex.label).toBe(`r${i}`);
      const answered = JSON.parse(ex.response?.body ?? '{}') as { url?: string; auth?: string };
      expect(answered.url).toBe(`/p${i % 7}?n=${i % 11}&token=[REDACTED]`);
      // An echoed credential field is redacted whole (its name says what it is), or at least its secret value.
      expect(answered.auth).toMatch(/^(Bearer )?\[REDACTED\]$/);
      expect(ex.request.url).toBe(`${s.url}/p${i % 7}?n=${i % 11}&token=[REDACTED]`);
      expect(ex.request.headers['Authorization']).toBe('[REDACTED]');
    });
    expect(JSON.stringify(recorded)).not.toContain('hunter2-secret');
  });

  it('keeps timings to the microsecond, in order', async () => {
    const s = await httpServer((_q, res) => res.end('ok'));
    servers.push(s);
    let tick = 1000.123456789;
    const { e } = engine({ now: () => (tick += 0.0104567) });
    const ex = await e.send(spec(s.url), ctx);
    await e.close();
    const t = ex.timings;
    for (const v of [t.queued, t.sent, t.headers, t.done]) {
      expect(v).toBeTypeOf('number');
      expect(Math.abs((v ?? 0) * 1000 - Math.round((v ?? 0) * 1000))).toBeLessThan(1e-6);
    }
    expect(t.queued).toBeLessThanOrEqual(t.sent ?? -1);
    expect(t.sent).toBeLessThanOrEqual(t.headers ?? -1);
    expect(t.headers).toBeLessThanOrEqual(t.done ?? -1);
  });

  it('caps the body excerpt and stops reading a huge body', async () => {
    const s = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = (): void => {
        while (sent < 200 && res.write(chunk)) sent++;
        if (sent < 200) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    servers.push(s);
    const { e } = engine();
    const ex = await e.send(spec(s.url), ctx);
    await e.close();
    expect(ex.response?.truncated).toBe(true);
    expect(ex.response?.body.length).toBe(1024);
    expect(ex.error).toBeUndefined();
  });

  it('gives up on a target that never answers, within the request timeout', async () => {
    const s = await tcpServer(() => undefined);
    servers.push(s);
    const { e } = engine({ timeoutMs: 300 });
    const t0 = performance.now();
    const ex = await e.send(spec(s.url), ctx);
    await e.close();
    expect(ex.error?.code).toBe('timeout');
    expect(ex.response).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('classifies malformed HTTP as a protocol error', async () => {
    const s = await tcpServer((sock) => sock.end('NOT HTTP AT ALL\r\n\r\n'));
    servers.push(s);
    const { e } = engine();
    const ex = await e.send(spec(s.url), ctx);
    await e.close();
    expect(['protocol', 'closed']).toContain(ex.error?.code);
  });

  it('enforces the request budget before sending', async () => {
    const s = await httpServer((_q, res) => res.end('ok'));
    servers.push(s);
    const { e, recorded } = engine({ maxRequests: 2 });
    await e.send(spec(s.url), ctx);
    await e.send(spec(s.url), ctx);
    await expect(e.send(spec(s.url), ctx)).rejects.toBeInstanceOf(RequestBudgetError);
    await expect(e.burst([spec(s.url)], ctx)).rejects.toBeInstanceOf(RequestBudgetError);
    await e.close();
    expect(recorded).toHaveLength(2);
  });

  it('refuses a host its policy does not allow on every path, before any connection or count', async () => {
    const { e, recorded } = engine();
    // .invalid never resolves: were the engine to try, the error would be a DNS failure instead.
    const foreign = spec('http://payments.example.invalid/pay');
    await expect(e.send(foreign, ctx)).rejects.toBeInstanceOf(HostRefusedError);
    await expect(e.burst([foreign, foreign], ctx)).rejects.toBeInstanceOf(HostRefusedError);
    await expect(e.sendWithFault(foreign, ctx, { kind: 'abort-after-send', afterMs: 0 })).rejects.toBeInstanceOf(
      HostRefusedError,
    );
    expect(e.requestsSent).toBe(0);
    expect(recorded).toHaveLength(0);
    await e.close();
  });
});

describe('HttpEngine.burst', () => {
  it('uses one connection per request and delivers all of them together', async () => {
    const remotePorts = new Set<number>();
    let inFlight = 0;
    let maxInFlight = 0;
    const s = await httpServer((req, res) => {
      remotePorts.add(req.socket.remotePort ?? 0);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('{}');
      }, 50);
    });
    servers.push(s);
    const { e } = engine();
    const n = 12;
    const b = await e.burst(
      Array.from({ length: n }, (_, i) => spec(s.url, { label: `b${i}` })),
      ctx,
    );
    await e.close();
    expect(b.exchanges).toHaveLength(n);
    expect(b.exchanges.every((x) => x.response?.status === 200 && x.burst === b.id)).toBe(true);
    expect(remotePorts.size).toBe(n);
    expect(maxInFlight).toBe(n);
    expect(b.releaseSpreadMs).toBeTypeOf('number');
  });

  it('redacts secrets the target quotes back into a transport error message', async () => {
    const s = await tcpServer((sock) => sock.once('data', () => sock.end('NOPE hunter2-secret\r\n\r\n')));
    servers.push(s);
    const { e, recorded } = engine();
    const b = await e.burst([spec(s.url), spec(s.url)], ctx, { sync: 'last-byte' });
    await e.close();
    expect(b.exchanges.map((x) => x.error?.code)).toEqual(['protocol', 'protocol']);
    expect(JSON.stringify(recorded)).not.toContain('hunter2-secret');
    expect(recorded[0]?.error?.message).toContain('[REDACTED]');
  });

  it('records a failed connection as an exchange error, not a crash', async () => {
    const { e } = engine();
    const b = await e.burst([spec('http://127.0.0.1:1/')], ctx);
    await e.close();
    expect(b.exchanges[0]?.error?.code).toBe('connect-refused');
  });

  it('reads arrival times from the header the target names, and from no other', async () => {
    let arrival = 1_000_000n;
    const s = await httpServer((_q, res) => {
      res.writeHead(200, { 'x-arrived-ns': String((arrival += 250_000n)), 'x-demo-arrival-ns': '1' });
      res.end('ok');
    });
    servers.push(s);
    const named = engine({ arrivalHeader: 'X-Arrived-Ns' });
    const b = await named.e.burst([spec(s.url), spec(s.url)], ctx);
    expect(b.exchanges.map((x) => x.serverArrivalNs).sort()).toEqual(['1250000', '1500000']);
    expect(b.arrivalSpreadMs).toBe(0.25);
    const unnamed = engine();
    const u = await unnamed.e.burst([spec(s.url), spec(s.url)], ctx);
    expect(u.exchanges.map((x) => x.serverArrivalNs)).toEqual([undefined, undefined]);
    expect(u.arrivalSpreadMs).toBeUndefined();
    await Promise.all([named.e.close(), unnamed.e.close()]);
  });
});

describe('HttpEngine.burst pacing', () => {
  it.each(['last-byte', 'barrier'] as const)(
    '%s opens its connections only quietMs after the previous exchange ended',
    async (sync) => {
      const opened: number[] = [];
      const s = await tcpServer((sock) => {
        opened.push(performance.now());
        sock.on('data', () => sock.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}'));
      });
      servers.push(s);
      const { e } = engine();
      const before = await e.send(spec(s.url), ctx);
      const t = opened.length;
      const b = await e.burst([spec(s.url), spec(s.url)], ctx, { sync, quietMs: 150 });
      await e.close();
      expect(b.exchanges.every((x) => x.response?.status === 200)).toBe(true);
      const firstBurstConnection = Math.min(...opened.slice(t));
      // Timers may fire a few ms early against performance.now().
      expect(firstBurstConnection - (before.timings.done ?? Number.NaN)).toBeGreaterThanOrEqual(140);
    },
  );

  it('barrier dispatches quietMs after its connections are open', async () => {
    const opened: number[] = [];
    const requested: number[] = [];
    const s = await tcpServer((sock) => {
      opened.push(performance.now());
      sock.once('data', () => {
        requested.push(performance.now());
        sock.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}');
      });
    });
    servers.push(s);
    const { e } = engine();
    const b = await e.burst([spec(s.url), spec(s.url), spec(s.url)], ctx, { sync: 'barrier', quietMs: 150 });
    await e.close();
    expect(b.exchanges.every((x) => x.response?.status === 200)).toBe(true);
    expect(Math.min(...requested) - Math.max(...opened)).toBeGreaterThanOrEqual(140);
    expect(b.quietMs).toBeGreaterThanOrEqual(140);
  });

  it('a stop during the barrier quiet period sends none of the requests', async () => {
    let requests = 0;
    const s = await tcpServer((sock) => sock.on('data', () => requests++));
    servers.push(s);
    const stop = new AbortController();
    const { e } = engine({ stopSignal: stop.signal });
    setTimeout(() => stop.abort(), 100);
    const t0 = performance.now();
    await expect(e.burst([spec(s.url), spec(s.url)], ctx, { sync: 'barrier', quietMs: 1_000 })).rejects.toThrow(
      InterruptedError,
    );
    await e.close();
    expect(performance.now() - t0).toBeLessThan(900);
    expect(requests).toBe(0);
  });

  it('an interruption ends the wait for a quiet target: nothing of the burst is sent', async () => {
    let opened = 0;
    const s = await tcpServer((sock) => {
      opened++;
      sock.on('data', () => sock.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}'));
    });
    servers.push(s);
    const stop = new AbortController();
    const { e } = engine({ stopSignal: stop.signal });
    await e.send(spec(s.url), ctx);
    const connectionsBefore = opened;
    setTimeout(() => stop.abort(), 50);
    const t0 = performance.now();
    await expect(e.burst([spec(s.url), spec(s.url)], ctx, { sync: 'last-byte', quietMs: 1_000 })).rejects.toThrow(
      InterruptedError,
    );
    await e.close();
    expect(performance.now() - t0).toBeLessThan(900);
    expect(opened).toBe(connectionsBefore);
  });
});
