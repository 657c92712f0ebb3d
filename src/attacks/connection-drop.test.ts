import { describe, expect, it } from 'vitest';
import { auditDemo, findingKeys } from '../../test/helpers/audit-demo.js';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { httpServer, type TestServer } from '../../test/helpers/servers.js';

describe('connection-drop', () => {
  it('finds a target that executes a torn request and its retry twice', async () => {
    const r = await auditDemo({ flaws: 'ignore-key', only: ['connection-drop'], endpoints: ['ignore-key'] });
    expect(findingKeys(r)).toEqual(['duplicate-write@ignore-key']);
    const f = r.findings[0];
    expect(f?.exchanges[0]?.label).toBe('torn (reset-after-body)');
    expect(f?.exchanges[0]?.error?.code).toBe('reset');
  });

  it('stays silent on the correct implementation: half a request has no effect, the retry runs once', async () => {
    const r = await auditDemo({ flaws: 'none', only: ['connection-drop'] });
    expect(r.findings).toEqual([]);
    expect(r.attacks.length).toBeGreaterThan(5);
    expect(r.attacks.filter((a) => a.status !== 'passed').map((a) => `${a.endpoint}: ${a.status} ${a.reason}`)).toEqual(
      [],
    );
  });
});

/**
 * A target that takes `processingMs` to carry out a request, keeping the key reserved meanwhile
 * (a retry then gets 409, afterwards the stored answer). `executesTorn`: a request whose body never
 * arrived completely is carried out with what did arrive, as a lenient form parser would.
 */
async function slowTarget(o: { processingMs: number; executesTorn: boolean }): Promise<TestServer> {
  const writes = new Map<string, number>();
  const stored = new Map<string, string | undefined>();
  let n = 0;
  return httpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      res.end(JSON.stringify({ count: writes.get(url.searchParams.get('key') ?? '') ?? 0 }));
      return;
    }
    const key = String(req.headers['idempotency-key'] ?? '');
    let complete = false;
    req.on('data', () => undefined);
    req.on('end', () => (complete = true));
    req.on('close', () => {
      if (!complete && !o.executesTorn) return;
      if (stored.has(key)) {
        const body = stored.get(key);
        if (!res.destroyed) res.writeHead(body === undefined ? 409 : 201).end(body ?? '{"error":"in flight"}');
        return;
      }
      stored.set(key, undefined);
      setTimeout(() => {
        writes.set(key, (writes.get(key) ?? 0) + 1);
        const body = JSON.stringify({ id: `pay_${++n}` });
        stored.set(key, body);
        if (!res.destroyed) res.writeHead(201, { 'content-type': 'application/json' }).end(body);
      }, o.processingMs);
    });
  });
}

function slowScenario(url: string): string {
  return `version: 1
name: slow
target: { baseUrl: '${url}', timeout: 5s }
endpoints:
  pay:
    request: { method: POST, path: /pay, body: { amount: 1000, currency: usd } }
    observe:
      - http: { path: '/ledger?key={{key}}', count: $.count }
    attacks:
      connection-drop: {}
`;
}

describe('connection-drop against a target slower than its default settle time (50 ms)', () => {
  it('waits for a torn request that is still being processed: it finds one executed from half a body', async () => {
    const target = await slowTarget({ processingMs: 300, executesTorn: true });
    try {
      const r = await auditYaml(slowScenario(target.url));
      expect(findingKeys(r)).toContain('incomplete-executed@pay');
    } finally {
      await target.close();
    }
  }, 30_000);

  it('does not take a torn request still being processed for a dropped one', async () => {
    const target = await slowTarget({ processingMs: 300, executesTorn: false });
    try {
      const r = await auditYaml(slowScenario(target.url));
      expect(r.findings).toEqual([]);
      expect(r.attacks[0]?.status).toBe('passed');
      expect(r.attacks[0]?.notes.join('\n')).not.toContain('dropped the torn request');
    } finally {
      await target.close();
    }
  }, 30_000);
});
