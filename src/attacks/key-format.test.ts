import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';
import { extensionSchemas } from '../cli/extensions.js';
import { loadScenarioText } from '../config/index.js';
import { runAudit } from '../engine/run-audit.js';
import { observers } from '../observers/index.js';
import { attacks } from './index.js';

/**
 * An idempotent target whose key column overflows: keys over 100 characters get a 500. Or, with
 * `caseSensitive`, one that reads the key only from a header spelled exactly `Idempotency-Key`.
 */
async function startCrashingTarget(caseSensitive = false): Promise<{ url: string; close: () => Promise<void> }> {
  let n = 0;
  const stored = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = req.headers['idempotency-key'];
      const exact = req.rawHeaders.findIndex((h, i) => i % 2 === 0 && h === 'Idempotency-Key');
      const value = caseSensitive
        ? (req.rawHeaders[exact + 1] ?? `none-${n}`)
        : Array.isArray(key)
          ? key.join(', ')
          : (key ?? '');
      if (!caseSensitive && value.length > 100) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"value too long for column"}');
        return;
      }
      let body = stored.get(value);
      if (body === undefined) {
        n += 1;
        body = JSON.stringify({ id: `pay_${n}` });
        stored.set(value, body);
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('key-format', () => {
  it('finds case-folded keys colliding', async () => {
    const r = await auditDemo({ flaws: 'case-fold', only: ['key-format'], endpoints: ['case-fold'] });
    expect(findingKeys(r)).toEqual(['key-collision@case-fold']);
    expect(r.findings[0]?.severity).toBe('high');
    expect(r.findings[0]?.message).toContain('letter case');
  });

  it('finds truncated keys colliding', async () => {
    const r = await auditDemo({ flaws: 'key-truncation', only: ['key-format'], endpoints: ['key-truncation'] });
    expect(findingKeys(r)).toEqual([
      'key-collision@key-truncation',
      'key-collision@key-truncation',
      'key-collision@key-truncation',
    ]);
    expect(r.findings.every((f) => f.message.includes('prefix'))).toBe(true);
  });

  it('reports a 5xx for a long key as key-crash, shrunk to a short crashing key', async () => {
    const target = await startCrashingTarget();
    try {
      const yaml = [
        'version: 1',
        'name: crash',
        'target: { baseUrl: "${URL}" }',
        'endpoints:',
        '  pay:',
        '    request: { method: POST, path: /payments, body: { amount: 1 } }',
        '    observe: [ { responseId: $.id } ]',
        '    attacks: { key-format: { runs: 30 } }',
      ].join('\n');
      const scenario = loadScenarioText(yaml, '/tmp/crash.yaml', extensionSchemas(), { URL: target.url });
      const r = await runAudit({ scenario, attacks, observers, seed: 3 });
      expect(findingKeys(r)).toEqual(['key-crash@pay']);
      const f = r.findings[0];
      expect(f?.severity).toBe('medium');
      expect(f?.message).toContain('256 characters');
      // Shrunk to the shortest generated key of its shape that still crashes (250-256 characters).
      expect(f?.message).toMatch(/generated "[^"]*…" \(25\d characters\) \(fast-check seed -?\d+, path [\d:]+/);
    } finally {
      await target.close();
    }
  });

  it('finds a key ignored when its header name has other letter case', async () => {
    const target = await startCrashingTarget(true);
    try {
      const yaml = [
        'version: 1',
        'name: header-case',
        'target: { baseUrl: "${URL}" }',
        'endpoints:',
        '  pay:',
        '    request: { method: POST, path: /payments, body: { amount: 1 } }',
        '    observe: [ { responseId: $.id } ]',
        '    attacks: { key-format: { runs: 0, prefixLengths: [] } }',
      ].join('\n');
      const scenario = loadScenarioText(yaml, '/tmp/header-case.yaml', extensionSchemas(), { URL: target.url });
      const r = await runAudit({ scenario, attacks, observers, seed: 3 });
      expect(findingKeys(r)).toEqual(['key-header-case@pay']);
      expect(r.findings[0]?.message).toContain("then as 'idempotency-key' executed again");
    } finally {
      await target.close();
    }
  });

  it('does not blame the key for a target that deduplicates by content (an unrelated key is deduplicated too)', async () => {
    const r = await auditDemo({ flaws: 'dedupe-by-body', only: ['key-format'], endpoints: ['dedupe-by-body'] });
    expect(findingKeys(r)).toEqual([]);
    expect(r.attacks[0]?.notes.join('\n')).toContain('the target deduplicates by content');
  });

  it('terminates with a key template that renders only dashes (no characters for the shared prefix)', async () => {
    const target = await startCrashingTarget();
    try {
      const yaml = [
        'version: 1',
        'name: dashes',
        'target: { baseUrl: "${URL}" }',
        'endpoints:',
        '  pay:',
        '    request: { method: POST, path: /payments, body: { amount: 1 } }',
        '    observe: [ { responseId: $.id } ]',
        '    attacks: { key-format: { runs: 0, prefixLengths: [20] } }',
      ].join('\n');
      const loaded = loadScenarioText(yaml, '/tmp/dashes.yaml', extensionSchemas(), { URL: target.url });
      // The loader refuses a key template without {{uuid}}; a programmatic caller can still pass one.
      const scenario = { ...loaded, endpoints: loaded.endpoints.map((e) => ({ ...e, key: '--' })) };
      const r = await runAudit({ scenario, attacks, observers, seed: 3 });
      expect(r.attacks[0]?.status).not.toBe('error');
    } finally {
      await target.close();
    }
  }, 20_000);

  it('stays silent on the correct implementation', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['key-format'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
