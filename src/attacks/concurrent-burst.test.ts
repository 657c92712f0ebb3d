import { describe, expect, it } from 'vitest';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { httpServer } from '../../test/helpers/servers.js';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';

describe('concurrent-burst', () => {
  it('finds the check-then-act race as a duplicate write, with the evidence and side-effect counts', async () => {
    const r = await auditDemo({ flaws: 'race', only: ['concurrent-burst'], endpoints: ['race'] });
    expect(findingKeys(r)).toEqual(['duplicate-write@race']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.sideEffects?.observed).toBeGreaterThan(1);
    expect(f?.sideEffects?.counts.map((c) => c.observer).sort()).toEqual(['http', 'responseId']);
    expect(f?.exchanges.length).toBeGreaterThanOrEqual(10);
    expect(f?.reproduce.timingDependent).toBe(true);
    expect(f?.reproduce.command).toContain('--only concurrent-burst --endpoint race --seed 1');
    expect(r.attacks[0]?.bursts.length).toBe(3);
  });

  it('finds a target that ignores the key entirely', async () => {
    const r = await auditDemo({ flaws: 'ignore-key', only: ['concurrent-burst'], endpoints: ['ignore-key'] });
    expect(findingKeys(r)).toEqual(['duplicate-write@ignore-key']);
  });

  it('stays silent on the correct implementation, whose losers get 409', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['concurrent-burst'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.every((a) => a.status === 'passed')).toBe(true);
  });

  it('does not add race errors when the 5xx come with a duplicate write (one symptom of the same race)', async () => {
    // The first two copies of a key both execute; the rest crash on the unique constraint.
    const rows = new Map<string, number>();
    let n = 0;
    const s = await httpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET') {
        res.end(JSON.stringify({ count: rows.get(url.searchParams.get('key') ?? '') ?? 0 }));
        return;
      }
      req.resume();
      const key = String(req.headers['idempotency-key']);
      const seen = rows.get(key) ?? 0;
      if (seen >= 2) {
        res.writeHead(500).end('{"error":"unique violation"}');
        return;
      }
      rows.set(key, seen + 1);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `p${++n}` }));
    });
    try {
      const yaml = `version: 1\nname: t\ntarget: { baseUrl: "${s.url}" }\nendpoints:\n  pay:\n    request: { path: /p, body: { a: 1 } }\n    observe: [ { responseId: $.id }, { http: { path: "/l?key={{key}}", count: $.count } } ]\n    attacks: { concurrent-burst: { copies: 5, rounds: 1 } }\n`;
      const r = await auditYaml(yaml, { seed: 3 });
      expect(findingKeys(r)).toEqual(['duplicate-write@pay']);
    } finally {
      await s.close();
    }
  });

  it('reports race errors when losers get a 5xx although only one write happened', async () => {
    // A correct store whose loser path crashes: the reservation is atomic, but duplicates get 500.
    const seen = new Map<string, string>();
    let n = 0;
    const s = await httpServer((req, res) => {
      const key = String(req.headers['idempotency-key']);
      if (req.method === 'GET') {
        const url = new URL(req.url ?? '/', 'http://x');
        const k = url.searchParams.get('key') ?? '';
        res.end(JSON.stringify({ count: seen.has(k) ? 1 : 0 }));
        return;
      }
      req.resume();
      if (seen.has(key)) {
        res.writeHead(500).end('{"error":"unique violation"}');
        return;
      }
      seen.set(key, `p${++n}`);
      setTimeout(
        () => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: seen.get(key) })),
        20,
      );
    });
    try {
      const yaml = `version: 1\nname: t\ntarget: { baseUrl: "${s.url}" }\nendpoints:\n  pay:\n    request: { path: /p, body: { a: 1 } }\n    observe: [ { responseId: $.id }, { http: { path: "/l?key={{key}}", count: $.count } } ]\n    attacks: { concurrent-burst: { copies: 5, rounds: 1 } }\n`;
      const r = await auditYaml(yaml, { seed: 3 });
      expect(findingKeys(r)).toEqual(['race-error@pay']);
    } finally {
      await s.close();
    }
  });
});
