import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../result/events.js';
import { auditDemo, DEMO_SCENARIO, findingKeys } from '../../test/helpers/audit-demo.js';
import { extensionSchemas } from '../engine/extension-schemas.js';
import { loadScenario } from '../config/index.js';
import { parseFlaws, startDemoServer } from '../demo/index.js';
import { runAudit } from '../engine/run-audit.js';
import { observers } from '../observers/index.js';
import { attacks } from './index.js';

/** The demo listens on a new port each run: compare requests without the origin. */
function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

describe('payload-mismatch', () => {
  it("does not judge cases whose answers carry another key's stored response", async () => {
    // dedupe-by-body answers the original with another key's response, so the key is never bound to
    // it and the changed request runs as the key's first write: not a mismatch executed a second time.
    const r = await auditDemo({ flaws: 'dedupe-by-body', only: ['payload-mismatch'], endpoints: ['dedupe-by-body'] });
    expect(findingKeys(r)).toEqual([]);
    expect(r.attacks[0]?.notes.join('\n')).toMatch(/\d+ whose answers carried responses the key's records do not show/);
  });

  it("skips (not inconclusive) when every original was answered with another key's stored response", async () => {
    // distinct-keys runs first, so the endpoint's body is already stored: every original gets its response.
    const r = await auditDemo({
      flaws: 'dedupe-by-body',
      only: ['distinct-keys', 'payload-mismatch'],
      endpoints: ['dedupe-by-body'],
    });
    expect(findingKeys(r)).toEqual(['over-deduplication@dedupe-by-body']);
    const pm = r.attacks.find((a) => a.attack === 'payload-mismatch');
    expect(pm?.status).toBe('skipped');
    expect(pm?.reason).toContain('distinct-keys judges deduplication across keys');
  });

  it('finds a reused key with another body replayed when the target never compares bodies', async () => {
    const r = await auditDemo({ flaws: 'no-fingerprint', only: ['payload-mismatch'], endpoints: ['no-fingerprint'] });
    expect(findingKeys(r)).toEqual(['mismatch-replayed@no-fingerprint']);
  });

  it('shrinks an amount-only fingerprint to one change of another field, and the seed replays the same requests', async () => {
    const run = async () => {
      const sent: string[] = [];
      const onEvent = (e: RunEvent): void => {
        if (e.type === 'exchange')
          sent.push(
            `${e.exchange.request.method} ${pathOf(e.exchange.request.url)} ${e.exchange.request.headers['content-type'] ?? ''} ${e.exchange.key ?? '-'} ${e.exchange.request.body ?? ''}`,
          );
      };
      const result = await auditDemo({
        flaws: 'amount-only-fingerprint',
        only: ['payload-mismatch'],
        endpoints: ['amount-only-fingerprint'],
        seed: 7,
        onEvent,
      });
      return { result, sent };
    };
    const { result: a, sent: sentA } = await run();
    expect(findingKeys(a)).toEqual(['mismatch-replayed@amount-only-fingerprint']);
    const message = a.findings[0]?.message ?? '';
    const minimal = /Smallest change found: (.*?)\. fast-check seed/.exec(message)?.[1] ?? '';
    expect(minimal).not.toContain(';');
    expect(minimal).toMatch(/^(body\.(currency|customer)|query string|body\.\w+ added)/);
    expect(message).toMatch(/fast-check seed -?\d+, path [\d:]+/);
    const { result: b, sent: sentB } = await run();
    expect(sentA.length).toBeGreaterThan(0);
    expect(sentB).toEqual(sentA);
    expect(b.findings[0]?.message).toEqual(message);
  });

  it('stays bounded by settings.maxRequests and still reports the failure found before the budget ran out', async () => {
    const only = { only: ['payload-mismatch'], endpoints: ['amount-only-fingerprint'], seed: 7 };
    const unbounded = await auditDemo({ flaws: 'amount-only-fingerprint', ...only });
    // Shrinking comes last, so two requests short of the whole run stops it mid-shrink.
    expect(unbounded.findings[0]?.message).toMatch(/after [1-9]\d* shrink/);
    const budget = unbounded.requests - 2;
    const server = await startDemoServer({ flaws: parseFlaws('amount-only-fingerprint') });
    try {
      const loaded = await loadScenario(DEMO_SCENARIO, extensionSchemas(), { DEMO_URL: server.url });
      const scenario = { ...loaded, settings: { ...loaded.settings, maxRequests: budget } };
      const r = await runAudit({ scenario, attacks, observers, ...only });
      expect(r.status).toBe('incomplete');
      expect(r.requests).toBeLessThanOrEqual(budget);
      expect(r.attacks[0]?.requests).toBeLessThanOrEqual(budget);
      expect(findingKeys(r)).toEqual(['mismatch-replayed@amount-only-fingerprint']);
    } finally {
      await server.close();
    }
  });

  it('stays silent on the correct implementation', { timeout: 180_000 }, async () => {
    const r = await auditDemo({ flaws: 'none', only: ['payload-mismatch'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });

  it('finds a rejected mismatch that replaced the stored request (IK-22), and only then', async () => {
    const { auditYaml } = await import('../../test/helpers/audit-yaml.js');
    const { httpServer } = await import('../../test/helpers/servers.js');
    // Rejects a mismatch with 422 but, depending on `overwrite`, stores the changed body first.
    const serve = (overwrite: boolean) => {
      const stored = new Map<string, { body: string; response: string }>();
      let n = 0;
      return httpServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const key = String(req.headers['idempotency-key']);
          const hit = stored.get(key);
          if (!hit) {
            const response = JSON.stringify({ id: `p${++n}` });
            stored.set(key, { body, response });
            return void res.writeHead(201, { 'content-type': 'application/json' }).end(response);
          }
          if (hit.body === body)
            return void res.writeHead(201, { 'content-type': 'application/json' }).end(hit.response);
          if (overwrite) hit.body = body;
          res.writeHead(422).end('{"error":"mismatch"}');
        });
      });
    };
    const yaml = (url: string): string =>
      `version: 1\nname: t\ntarget: { baseUrl: "${url}" }\nendpoints:\n  pay:\n    request: { path: /p, body: { amount: 1, currency: usd } }\n    observe: [ { responseId: $.id } ]\n    attacks: { payload-mismatch: { runs: 5 } }\n`;
    const flawed = await serve(true);
    const correct = await serve(false);
    try {
      const bad = await auditYaml(yaml(flawed.url));
      expect(findingKeys(bad)).toEqual(['mismatch-overwrote@pay']);
      expect(bad.findings[0]?.message).toContain('refused the original itself with 422');
      const good = await auditYaml(yaml(correct.url));
      expect(good.findings).toEqual([]);
      expect(good.attacks[0]?.status).toBe('passed');
    } finally {
      await Promise.all([flawed.close(), correct.close()]);
    }
  });
});
