/**
 * Faults that wait on the target: a target that never answers a POST (after calling a downstream
 * that hangs too) must cost each fault attack its timeouts, not a hung run, and leave it not audited.
 */
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/demo/free-port.js';
import { auditYaml } from '../helpers/audit-yaml.js';
import { httpServer } from '../helpers/servers.js';

describe('bounded waits', () => {
  it('a target that never answers and a hanging downstream end the run in bounded time, reported', async () => {
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
      const yaml = `version: 1\nname: t\ntarget: { baseUrl: "${s.url}", timeout: 300ms }\nendpoints:\n  pay:\n    request: { path: /p, body: { a: 1 } }\n    observe: [ { sink: { listen: "127.0.0.1:${sinkPort}", hangMs: 60000 } } ]\n    suite: none\n    attacks: { partial-failure: { retries: 1, retryDelayMs: 0 }, client-timeout-retry: { rounds: 1, maxWaitMs: 300 }, connection-drop: {} }\n`;
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
