import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../demo/free-port.js';
import { SinkServer } from './sink-server.js';
import { sinkObserver } from './sink.js';
import type { ObserverEnv, ObserverInstance } from './types.js';

type Answer = { status: number; body: string } | { lost: string };

/** One provider call as a target would make it, with its own bounded wait. */
function call(url: string, headers: Record<string, string>, timeoutMs = 2000): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(`${url}/charges`, { method: 'POST', headers, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ lost: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ lost: err.message }));
    req.end('{}');
  });
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function sink(hangMs = 5000, maxCallsPerKey?: number): Promise<SinkServer> {
  const s = new SinkServer({
    host: '127.0.0.1',
    port: 0,
    key: 'header:Idempotency-Key',
    reference: 'header:X-Ref',
    hangMs,
    ...(maxCallsPerKey === undefined ? {} : { maxCallsPerKey }),
  });
  await s.listen();
  open.push(s);
  return s;
}

describe('SinkServer', () => {
  it('applies a call once per downstream key, like a provider honouring idempotency keys', async () => {
    const s = await sink();
    const a = await call(s.url, { 'idempotency-key': 'd1', 'x-ref': 'k' });
    const b = await call(s.url, { 'idempotency-key': 'd1', 'x-ref': 'k' });
    const c = await call(s.url, { 'x-ref': 'k' });
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(s.calls('k').map((x) => x.outcome)).toEqual(['applied', 'replayed', 'applied']);
  });

  it('fails the first N calls for a key with a 5xx, applying nothing', async () => {
    const s = await sink();
    s.program('k', { fault: 'fail', times: 2, status: 502 });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await call(s.url, { 'idempotency-key': 'd', 'x-ref': 'k' }));
    expect(answers.map((x) => ('status' in x ? x.status : x.lost))).toEqual([502, 502, 200]);
    expect(s.calls('k').map((x) => x.outcome)).toEqual(['failed', 'failed', 'applied']);
  });

  it('applies then resets, so the caller loses the answer (applied-lost)', async () => {
    const s = await sink();
    s.program('k', { fault: 'reset', times: 1 });
    expect(await call(s.url, { 'idempotency-key': 'd', 'x-ref': 'k' })).toHaveProperty('lost');
    expect(await call(s.url, { 'idempotency-key': 'd', 'x-ref': 'k' })).toHaveProperty('status', 200);
    expect(s.calls('k').map((x) => x.outcome)).toEqual(['applied-lost', 'replayed']);
  });

  it('hangs only until the caller gives up, and never longer than hangMs', async () => {
    const s = await sink(300);
    s.program('k', { fault: 'hang', times: 2 });
    expect(await call(s.url, { 'x-ref': 'k' }, 100)).toEqual({ lost: 'timeout' });
    const t0 = performance.now();
    // A caller that would wait 10 s is let go by the sink's own bound.
    expect(await call(s.url, { 'x-ref': 'k' }, 10_000)).toHaveProperty('lost');
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(s.calls('k').map((x) => x.outcome)).toEqual(['applied-lost', 'applied-lost']);
  });

  it('delays the answer; a caller that gave up meanwhile makes it applied-lost', async () => {
    const s = await sink();
    s.program('k', { fault: 'delay', times: 2, delayMs: 300 });
    expect(await call(s.url, { 'x-ref': 'k' }, 50)).toHaveProperty('lost');
    expect(await call(s.url, { 'x-ref': 'k' }, 2000)).toHaveProperty('status', 200);
    await new Promise((r) => setTimeout(r, 350));
    expect(s.calls('k').map((x) => x.outcome)).toEqual(['applied-lost', 'applied']);
  });
});

describe('SinkServer under a retry storm', () => {
  it('keeps a bounded number of calls per key, yet still counts every applied one', async () => {
    const s = await sink(5000, 3);
    for (let i = 0; i < 5; i++) await call(s.url, { 'x-ref': 'k' });
    await call(s.url, { 'x-ref': 'k', 'idempotency-key': 'd' });
    await call(s.url, { 'x-ref': 'k', 'idempotency-key': 'd' }); // replayed by the provider: no effect
    expect(s.calls('k')).toHaveLength(3);
    expect(s.overflow('k')).toBe(3);
  });
});

describe('sink observer', () => {
  const env = {} as ObserverEnv;

  it('starts on the configured address, counts applied + applied-lost for the key, and shares one address', async () => {
    const port = await freePort();
    const options = sinkObserver.meta.options.parse({
      listen: `127.0.0.1:${port}`,
      key: 'header:Idempotency-Key',
      reference: 'header:X-Ref',
    });
    const a: ObserverInstance = sinkObserver.create(options, env);
    const b: ObserverInstance = sinkObserver.create(options, env);
    open.push({ close: async () => (await a.close?.(), await b.close?.()) });
    await a.start?.();
    await b.start?.();
    expect(a.downstream?.url).toBe(`http://127.0.0.1:${port}`);
    expect(b.downstream?.url).toBe(a.downstream?.url);
    a.downstream?.program('k', { fault: 'reset', times: 1 });
    await call(`http://127.0.0.1:${port}`, { 'x-ref': 'k' });
    await call(`http://127.0.0.1:${port}`, { 'x-ref': 'k' });
    await call(`http://127.0.0.1:${port}`, { 'x-ref': 'other' });
    const c = await b.count('k', { exchanges: [] });
    expect(c.count).toBe(2);
    expect(c.detail).toContain('1 applied, 1 applied-lost');
    expect((await a.count('nothing', { exchanges: [] })).count).toBe(0);
  });

  it('cannot count (observer error, not zero) when the target calls without the key or the reference', async () => {
    const port = await freePort();
    const options = sinkObserver.meta.options.parse({
      listen: `127.0.0.1:${port}`,
      key: 'header:Idempotency-Key',
      reference: 'header:X-Ref',
    });
    const o: ObserverInstance = sinkObserver.create(options, env);
    open.push({ close: async () => await o.close?.() });
    await o.start?.();
    expect((await o.count('k', { exchanges: [] })).count).toBe(0);
    await call(`http://127.0.0.1:${port}`, {});
    await expect(o.count('k', { exchanges: [] })).rejects.toThrow(/carried neither Idempotency-Key nor X-Ref/);
    // Calls that can be attributed to the key are counted as before.
    await call(`http://127.0.0.1:${port}`, { 'x-ref': 'k' });
    expect((await o.count('k', { exchanges: [] })).count).toBe(1);
  });

  it('rejects a malformed listen address', () => {
    expect(() => sinkObserver.meta.options.parse({ listen: 'nowhere' })).toThrow();
  });
});
