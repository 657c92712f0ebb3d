import { HostPolicy } from '../host-policy.js';
import { execFileSync } from 'node:child_process';
import http2 from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoH2Server, type DemoH2Server } from '../../demo/h2.js';
import { ARRIVAL_HEADER, startDemoServer, type DemoServer } from '../../demo/server.js';
import { HttpEngine } from '../engine.js';
import type { Exchange } from '../exchange.js';
import { createRedactor } from '../redact.js';
import type { RequestSpec } from '../request-spec.js';
import { lastByteBurst } from './last-byte.js';
import { chooseSyncMode, probeAlpnH2, type ConcreteSyncMode } from './mode.js';
import { singlePacketBurst } from './single-packet.js';

let h1: DemoServer;
let h2c: DemoH2Server;
beforeAll(async () => {
  const flaws = new Set(['race'] as const);
  h1 = await startDemoServer({ flaws, raceWindow: 'one-tick', processingMs: 5 });
  h2c = await startDemoH2Server({ flaws, raceWindow: 'one-tick', processingMs: 5 });
});
afterAll(async () => {
  await Promise.all([h1.close(), h2c.close()]);
});

function engine(): { e: HttpEngine; recorded: Exchange[] } {
  const recorded: Exchange[] = [];
  const e = new HttpEngine({
    hostPolicy: HostPolicy.loopbackOnly(),
    timeoutMs: 5000,
    bodyCap: 4096,
    maxRequests: 10_000,
    rate: undefined,
    redactor: createRedactor({ secretHeaders: [], keyHeader: 'Idempotency-Key', secretValues: [] }),
    now: () => performance.now(),
    onExchange: (ex) => recorded.push(ex),
    arrivalHeader: ARRIVAL_HEADER,
  });
  return { e, recorded };
}

function specs(base: string, variant: string, key: string, n: number): RequestSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    method: 'POST',
    url: `${base}/${variant}/payments`,
    headers: { 'content-type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ amount: 1000, currency: 'usd', customer: 'cus_42' }),
    label: `burst[${i}]`,
    key,
    principal: 'default',
  }));
}

/** Ledger count for a key; the h2c demo only speaks HTTP/2, which fetch cannot. */
async function ledgerCount(base: string, variant: string, key: string): Promise<number> {
  const path = `/${variant}/ledger?key=${encodeURIComponent(key)}`;
  if (base !== h2c.url) {
    const res = await fetch(`${base}${path}`);
    return ((await res.json()) as { count: number }).count;
  }
  const session = http2.connect(base);
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': path });
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => resolve(body));
      req.on('error', reject);
      req.end();
    });
    return (JSON.parse(text) as { count: number }).count;
  } finally {
    session.close();
  }
}

const MODES: readonly [ConcreteSyncMode, () => string][] = [
  ['none', () => h1.url],
  ['barrier', () => h1.url],
  ['last-byte', () => h1.url],
  ['single-packet', () => h2c.url],
];

describe('HttpEngine.burst sync modes', () => {
  it.each(MODES)('%s delivers all N requests and records every exchange', async (mode, base) => {
    const { e, recorded } = engine();
    try {
      const key = `k-${mode}-${Date.now()}`;
      const b = await e.burst(
        specs(base(), 'correct', key, 8),
        { attack: 't', endpoint: 'ep' },
        { sync: mode, h2c: true },
      );
      expect(b.sync).toBe(mode);
      expect(b.exchanges).toHaveLength(8);
      const byId = (xs: Exchange[]): Exchange[] => [...xs].sort((x, y) => x.id - y.id);
      expect(byId(recorded)).toEqual(byId(b.exchanges));
      for (const ex of b.exchanges) {
        expect(ex.burst).toBe(b.id);
        expect(ex.error).toBeUndefined();
        expect([201, 409]).toContain(ex.response?.status);
        expect(ex.timings.sent).toBeTypeOf('number');
        expect(ex.serverArrivalNs).toMatch(/^\d+$/);
      }
      expect(b.releaseSpreadMs).toBeTypeOf('number');
      expect(b.arrivalSpreadMs).toBeTypeOf('number');
      // The correct variant executed exactly once whatever the release did.
      expect(await ledgerCount(base(), 'correct', key)).toBe(1);
    } finally {
      await e.close();
    }
  });

  it('auto picks single-packet for an h2c target and last-byte for an HTTP/1.1 one', async () => {
    const { e } = engine();
    try {
      const ctx = { attack: 't', endpoint: 'ep' };
      const onH2c = await e.burst(specs(h2c.url, 'correct', `auto-a-${Date.now()}`, 3), ctx, { h2c: true });
      expect(onH2c.sync).toBe('single-packet');
      expect(onH2c.exchanges.every((x) => x.response?.status !== undefined)).toBe(true);
      const onH1 = await e.burst(specs(h1.url, 'correct', `auto-b-${Date.now()}`, 3), ctx);
      expect(onH1.sync).toBe('last-byte');
      expect(onH1.exchanges.every((x) => x.response?.status !== undefined)).toBe(true);
    } finally {
      await e.close();
    }
  });

  it('auto decides https targets by ALPN and never overrides an explicit mode', async () => {
    const yes = { h2c: false, alpnH2: () => Promise.resolve(true) };
    const no = { h2c: false, alpnH2: () => Promise.resolve(false) };
    expect(await chooseSyncMode('auto', 'https://a.test/x', yes)).toBe('single-packet');
    expect(await chooseSyncMode('auto', 'https://a.test/x', no)).toBe('last-byte');
    expect(await chooseSyncMode('auto', 'http://a.test/x', { ...yes, h2c: false })).toBe('last-byte');
    expect(await chooseSyncMode('auto', 'http://a.test/x', { ...no, h2c: true })).toBe('single-packet');
    expect(await chooseSyncMode('barrier', 'https://a.test/x', yes)).toBe('barrier');
  });

  it('exposes the one-tick race with last-byte and single-packet releases', async () => {
    const { e } = engine();
    try {
      for (const [mode, base] of MODES.filter(([m]) => m === 'last-byte' || m === 'single-packet')) {
        let duplicates = 0;
        // A race shows in most bursts, not necessarily every one: a few tries, bounded.
        for (let i = 0; i < 15 && duplicates === 0; i++) {
          const key = `race-${mode}-${i}-${Date.now()}`;
          await e.burst(specs(base(), 'race', key, 10), { attack: 't', endpoint: 'ep' }, { sync: mode });
          if ((await ledgerCount(base(), 'race', key)) > 1) duplicates++;
        }
        expect(duplicates, mode).toBe(1);
      }
    } finally {
      await e.close();
    }
  });
});

/** The TLS demo signs its certificate with the openssl CLI; .ci/run installs it. Missing, the test fails, never skips. */
function requireOpenssl(): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('openssl is not installed: the HTTP/2 + TLS tests need it (apt-get install openssl; .ci/run does)');
  }
}

describe('demo over HTTP/2 with TLS', () => {
  it('is detected by ALPN and takes single-packet and last-byte releases over TLS', async () => {
    requireOpenssl();
    const tlsDemo = await startDemoH2Server({ flaws: new Set(), tls: true });
    try {
      const ca = tlsDemo.cert ?? '';
      expect(await probeAlpnH2(tlsDemo.url, 5000, ca)).toBe(true);
      const o = { bodyCap: 4096, timeoutMs: 5000, now: () => performance.now(), ca };
      for (const release of [singlePacketBurst, lastByteBurst]) {
        const key = `tls-${release.name}-${Date.now()}`;
        const out = await release(specs(tlsDemo.url, 'correct', key, 5), o);
        expect(out.results.map((x) => x.status).sort()).toEqual([201, 409, 409, 409, 409]);
        expect(out.results.every((x) => x.headers[ARRIVAL_HEADER] !== undefined)).toBe(true);
      }
    } finally {
      await tlsDemo.close();
    }
  });

  it('serves h2 over TLS with a generated certificate', async () => {
    requireOpenssl();
    const tlsDemo = await startDemoH2Server({ flaws: new Set(), tls: true });
    try {
      expect(tlsDemo.url).toMatch(/^https:/);
      const session = http2.connect(tlsDemo.url, { ca: tlsDemo.cert ?? '' });
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = session.request({ ':path': '/health' });
          req.on('response', (h) => resolve(Number(h[':status'])));
          req.on('error', reject);
          req.end();
        });
        expect(status).toBe(200);
        expect(session.alpnProtocol).toBe('h2');
      } finally {
        session.close();
      }
    } finally {
      await tlsDemo.close();
    }
  });
});
