import { describe, expect, it } from 'vitest';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { httpServer } from '../../test/helpers/servers.js';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('partial-failure', () => {
  it('finds a provider call retried without its key after a lost answer', async () => {
    const r = await auditDemo({
      flaws: 'downstream-unkeyed-retry',
      only: ['partial-failure'],
      endpoints: ['downstream-unkeyed-retry'],
    });
    // Both faults that apply and then lose the answer show the double application.
    expect(findingKeys(r)).toEqual([
      'duplicate-write@downstream-unkeyed-retry',
      'duplicate-write@downstream-unkeyed-retry',
    ]);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.sideEffects?.counts.find((c) => c.observer === 'sink')?.count).toBe(2);
    expect(f?.message).toContain('applied-lost, applied');
  });

  it('finds a provider 5xx cached against the key', async () => {
    const r = await auditDemo({ flaws: 'error-cached', only: ['partial-failure'], endpoints: ['error-cached'] });
    expect(findingKeys(r)).toEqual(['error-cached@error-cached']);
    expect(r.findings[0]?.exchanges.map((e) => e.response?.status)).toEqual([502, 502, 502, 502]);
  });

  it('stays silent on the correct implementation and skips endpoints without a sink', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['partial-failure'] });
    expect(r.findings).toEqual([]);
    const byEndpoint = Object.fromEntries(r.attacks.map((a) => [a.endpoint, a.status]));
    expect(byEndpoint['downstream-unkeyed-retry']).toBe('passed');
    expect(byEndpoint['error-cached']).toBe('passed');
    expect(byEndpoint['correct']).toBe('skipped');
  });
});

describe('bounded waits', () => {
  it('a target that never answers and a hanging downstream end the run in bounded time, reported', async () => {
    const { freePort } = await import('../demo/free-port.js');
    const sinkPort = await freePort();
    // Health checks answer; every POST hangs after calling the (hanging) downstream.
    const s = await httpServer((req, res) => {
      if (req.method !== 'POST') return void res.end('{"count":0}');
      req.resume();
      req.on('end', () => {
        fetch(`http://127.0.0.1:${sinkPort}/charges`, {
          method: 'POST',
          headers: { 'idempotency-key': String(req.headers['idempotency-key']) },
        }).catch(() => undefined);
      });
    });
    try {
      const yaml = `version: 1\nname: t\ntarget: { baseUrl: "${s.url}", timeout: 300ms }\nendpoints:\n  pay:\n    request: { path: /p, body: { a: 1 } }\n    observe: [ { sink: { listen: "127.0.0.1:${sinkPort}", hangMs: 60000 } } ]\n    attacks: { partial-failure: { retries: 1, retryDelayMs: 0 }, client-timeout-retry: { rounds: 1, maxWaitMs: 300 }, connection-drop: {} }\n`;
      const t0 = Date.now();
      const r = await auditYaml(yaml);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(r.findings).toEqual([]);
      expect(r.attacks.map((a) => [a.attack, a.status]).sort()).toEqual([
        ['client-timeout-retry', 'inconclusive'],
        ['connection-drop', 'inconclusive'],
        ['partial-failure', 'inconclusive'],
      ]);
      expect(r.attacks.find((a) => a.attack === 'partial-failure')?.notes.join(' ')).toContain('never answered');
    } finally {
      await s.close();
    }
  }, 30_000);
});
