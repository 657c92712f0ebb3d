import { describe, expect, it } from 'vitest';
import { findingKeys } from '../../test/helpers/audit-demo.js';
import { auditYaml } from '../../test/helpers/audit-yaml.js';
import { httpServer, type TestServer } from '../../test/helpers/servers.js';
import { connectionDrop } from './connection-drop.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

describe('connection-drop', () => {
  it('finds a torn request and its retry executed twice', async () => {
    const r = await runFake(connectionDrop, { target: modelTarget({ honourKeys: false }) });
    expect(r.kinds()).toEqual(['duplicate-write']);
    const f = r.findings[0];
    expect(f?.severity).toBe('critical');
    expect(f?.exchanges[0]?.label).toBe('torn (reset-after-body)');
    expect(f?.exchanges[0]?.error?.code).toBe('reset');
    expect(f?.message).toMatch(
      /^After a reset right after the complete request \(\d+ bytes\) and a retry with the same key \S+, the target executed 2 times/,
    );
  });

  it('finds a target that acts on half a request', async () => {
    const r = await runFake(connectionDrop, { target: modelTarget({ tornRequests: 'execute' }) });
    expect(r.kinds()).toEqual(['incomplete-executed']);
    const f = r.findings[0];
    expect(f?.severity).toBe('high');
    expect(f?.message).toMatch(
      /^The connection was reset after \d+ of \d+ bytes of the request with key \S+, yet 1 side effect\(s\) exist for it\.$/,
    );
    expect(f?.sideEffects?.expected).toBe(0);
  });

  it('stays silent when half a request has no effect and the request plus its retry have one', async () => {
    const r = await runFake(connectionDrop, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.requests.filter((q) => q.via === 'fault').map((q) => [q.fault?.kind, q.torn])).toEqual([
      ['reset-mid-body', true],
      ['reset-after-body', false],
    ]);
  });

  it('tries again when the target dropped the torn request, and judges the last attempt whatever happened', async () => {
    // A target that discards a request whose connection died before it answered: no effect, retry executes once.
    const model = modelTarget();
    const dropping: FakeTarget = (req, env) => (req.hangUpAfterMs !== undefined ? { error: 'reset' } : model(req, env));
    const r = await runFake(connectionDrop, { target: dropping, options: { rounds: 3 } });
    expect(r.findings).toEqual([]);
    const dropped = r.notes.filter((n) => n.includes('dropped the torn request'));
    // Every attempt settles and says so; only the last goes on to judge its retry instead of trying again.
    expect(dropped).toHaveLength(3);
    expect(dropped.filter((n) => n.endsWith('; tried again'))).toHaveLength(2);
    expect(r.requests.filter((q) => q.fault?.kind === 'reset-after-body')).toHaveLength(3);
    expect(r.outcome).toEqual({ kind: 'ran' });
  });

  it('notes an endpoint without a body and is inconclusive when no retry is answered', async () => {
    const bodiless = await runFake(connectionDrop, { target: modelTarget(), endpoint: { body: undefined } });
    expect(bodiless.notes).toContain('the endpoint sends no body, so there is no middle to cut');
    expect(bodiless.outcome).toEqual({ kind: 'ran' });
    const silent = await runFake(connectionDrop, { target: () => ({ error: 'timeout' }) });
    expect(silent.findings).toEqual([]);
    expect(silent.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'no retry was answered, so nothing could be judged (see notes)',
    });
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
    suite: none
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
