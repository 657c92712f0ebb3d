import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { httpServer } from '../../test/helpers/servers.js';

describe('cross-principal', () => {
  it("finds another principal receiving the first principal's response, naming both without secrets", async () => {
    const r = await auditDemo({
      flaws: 'no-principal-scope',
      only: ['cross-principal'],
      endpoints: ['no-principal-scope'],
    });
    expect(findingKeys(r)).toEqual(['cross-principal-leak@no-principal-scope']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.message).toContain("'bob'");
    expect(f?.message).toContain("'default'");
    expect(JSON.stringify(f)).not.toContain('demo-bob-token');
    expect(JSON.stringify(f)).not.toContain('demo-alice-token');
  });

  it('is no leak when both callers executed, even if the target answers them with identical bodies', async () => {
    // Keys scoped by principal, every execution answered {"status":"accepted"}: no id tells the answers apart,
    // but the ledger shows two executions for the key.
    const executed = new Set<string>();
    const rows = new Map<string, number>();
    const s = await httpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET') {
        res.end(JSON.stringify({ count: rows.get(url.searchParams.get('key') ?? '') ?? 0 }));
        return;
      }
      req.resume();
      const key = String(req.headers['idempotency-key']);
      const scoped = `${String(req.headers.authorization)} ${key}`;
      if (!executed.has(scoped)) {
        executed.add(scoped);
        rows.set(key, (rows.get(key) ?? 0) + 1);
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
    });
    try {
      const yaml = [
        'version: 1',
        'name: t',
        `target: { baseUrl: "${s.url}", headers: { Authorization: Bearer a }, principals: { bob: { headers: { Authorization: Bearer b } } } }`,
        'endpoints:',
        '  pay:',
        '    request: { path: /p, body: { a: 1 } }',
        '    observe: [ { http: { path: "/l?key={{key}}", count: $.count } } ]',
        '    attacks: { cross-principal: {} }',
      ].join('\n');
      const r = await auditYaml(yaml, { seed: 3 });
      expect(findingKeys(r)).toEqual([]);
      expect(r.attacks[0]?.status).toBe('passed');
    } finally {
      await s.close();
    }
  });

  it('stays silent on the correct implementation', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['cross-principal'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });
});
