/**
 * Guard rails: --dry-run sends nothing, --max-requests / settings.maxRequests is a hard cap,
 * --rate spaces requests, --deadline bounds the whole run, and hosts that are neither loopback
 * nor allowed are refused unless the scenario declares where it points.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extensionSchemas } from '../../src/engine/extension-schemas.js';
import { loadScenarioText } from '../../src/config/load.js';
import { isLoopback } from '../../src/http/host-policy.js';
import { cli } from '../helpers/cli.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { auditHostile } from './harness.js';

interface Counting {
  server: TestServer;
  connections: () => number;
  arrivals: number[];
}

/** A correct-enough target that counts TCP connections and request arrivals. */
async function countingTarget(delayMs = 0): Promise<Counting> {
  let connections = 0;
  const arrivals: number[] = [];
  let n = 0;
  const server = await httpServer((req, res) => {
    req.resume();
    arrivals.push(performance.now());
    const id = ++n;
    setTimeout(() => {
      if (res.destroyed) return;
      if (req.url?.startsWith('/ledger')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"count":1}');
      else res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `pay_${id}` }));
    }, delayMs);
  });
  // httpServer hides the node server; count connections at the socket level through a probe URL.
  const u = new URL(server.url);
  const { default: net } = await import('node:net');
  const proxy = net.createServer((s) => {
    connections++;
    const upstream = net.connect(Number(u.port), u.hostname);
    s.pipe(upstream).pipe(s);
    s.on('error', () => upstream.destroy());
    upstream.on('error', () => s.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as { port: number }).port;
  return {
    server: {
      url: `http://127.0.0.1:${port}`,
      close: async () => {
        await new Promise<void>((r) => proxy.close(() => r()));
        await server.close();
      },
    },
    connections: () => connections,
    arrivals,
  };
}

function scenarioFile(body: string): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'idem-audit-rails-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, body);
  return { file, dir };
}

const ENDPOINTS = `endpoints:
  pay:
    request: { method: POST, path: /pay, body: { amount: 1 } }
    observe:
      - responseId: $.id
    suite: none
    attacks:
      sequential-replay: { replays: 4, delayMs: 0, inFlightRetries: 0 }
      concurrent-burst: { copies: 5, rounds: 2, sync: barrier }
      missing-key: {}
`;

describe('--dry-run', () => {
  it('prints the plan with estimated requests and sync modes, and opens no connection', async () => {
    const t = await countingTarget();
    try {
      const { file, dir } = scenarioFile(`version: 1\nname: rails\ntarget:\n  baseUrl: ${t.server.url}\n${ENDPOINTS}`);
      const out = join(dir, 'report');
      const r = await cli(['run', file, '--dry-run', '--out', out, '--rate', '20', '--deadline', '5m']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('dry run: nothing is sent');
      expect(r.stdout).toMatch(/pay\s+sequential-replay\s+5\s+-/);
      expect(r.stdout).toMatch(/pay\s+concurrent-burst\s+10\s+barrier/);
      expect(r.stdout).toMatch(/pay\s+missing-key\s+1\s+-/);
      expect(r.stdout).toContain('3 attacks, about 16 requests');
      expect(r.stdout).toContain('at most 10000 requests');
      expect(r.stdout).toContain('20 requests/s outside bursts');
      expect(r.stdout).toContain('deadline 300000 ms');
      expect(r.stdout).toContain('lanes: up to 8 endpoints at once (--concurrency)');
      const serial = await cli(['run', file, '--dry-run', '--concurrency', '1']);
      expect(serial.stdout).toContain('lanes: 1 (--concurrency): endpoints one after another, in this order.');
      expect(t.connections()).toBe(0);
      expect(t.arrivals).toEqual([]);
      expect(existsSync(out)).toBe(false);
    } finally {
      await t.server.close();
    }
  });
});

describe('--dry-run of a scenario with setup', () => {
  it('says what setup and teardown add, and sends none of it', async () => {
    const t = await countingTarget();
    try {
      const setup = `setup:\n  - { name: customer, request: { path: /customers }, capture: { customer_id: $.id } }\nteardown:\n  - request: { method: DELETE, path: '/customers/{{customer_id}}' }\n`;
      const endpoints = ENDPOINTS.replace(
        '    request: { method: POST, path: /pay, body: { amount: 1 } }',
        '    setup:\n      - { name: charge, per: operation, request: { path: /charges }, capture: { charge_id: $.id } }\n    request: { method: POST, path: "/pay/{{charge_id}}", body: { amount: 1 } }',
      );
      const { file } = scenarioFile(
        `version: 1\nname: rails\ntarget:\n  baseUrl: ${t.server.url}\n${setup}${endpoints}`,
      );
      const r = await cli(['run', file, '--dry-run']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        'setup requests come on top: 1 scenario step once; pay: 1 step per operation (each fresh key); teardown after the audit (1 step, at most 30 s).',
      );
      expect(t.connections()).toBe(0);
    } finally {
      await t.server.close();
    }
  });
});

describe('--max-requests', () => {
  it('defaults to 10,000 (settings.maxRequests)', () => {
    const s = loadScenarioText(
      `version: 1\nname: rails\ntarget:\n  baseUrl: http://127.0.0.1:9\n${ENDPOINTS}`,
      '/virtual.yaml',
      extensionSchemas(),
      {},
    );
    expect(s.settings.maxRequests).toBe(10_000);
  });

  it('is a hard cap: the run stops there, incomplete, exit 3', async () => {
    const t = await countingTarget();
    try {
      const run = await auditHostile(
        { url: t.server.url, attacks: '\n      concurrent-burst: { copies: 4, rounds: 3 }' },
        ['--max-requests', '6'],
      );
      expect(run.code).toBe(3);
      expect(run.report.status).toBe('incomplete');
      expect(run.report.errors).toEqual([
        { code: 'IDEM_REQUEST_BUDGET_EXHAUSTED', message: 'request budget of 6 requests exhausted' },
      ]);
      expect(run.report.requests).toBeLessThanOrEqual(6);
      expect(t.arrivals.length).toBeLessThanOrEqual(6);
    } finally {
      await t.server.close();
    }
  });
});

describe('--rate', () => {
  it('spaces requests outside bursts at 1/rate seconds', async () => {
    const t = await countingTarget();
    try {
      const run = await auditHostile(
        { url: t.server.url, attacks: '\n      sequential-replay: { replays: 3, delayMs: 0, inFlightRetries: 0 }' },
        ['--rate', '5'],
      );
      expect(run.report.requests).toBe(4);
      expect(t.arrivals.length).toBe(4);
      const gaps = t.arrivals.slice(1).map((a, i) => a - (t.arrivals[i] ?? 0));
      // Slots are 200 ms apart at dispatch; the first request also pays for the connection, so
      // one gap may look shorter at the target. CPU load only ever widens them.
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(100);
      expect((t.arrivals[3] ?? 0) - (t.arrivals[0] ?? 0)).toBeGreaterThanOrEqual(540);
    } finally {
      await t.server.close();
    }
  });

  it('rejects a rate that is not a positive number', async () => {
    const r = await cli(['run', 'whatever.yaml', '--rate', 'fast']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--rate must be a number of requests per second above 0 and at most 100000, got 'fast'");
  });
});

describe('--deadline', () => {
  it('stops the whole run when reached: partial report, status incomplete, exit 3', async () => {
    const t = await countingTarget(300);
    try {
      const run = await auditHostile(
        {
          url: t.server.url,
          timeout: '5s',
          attacks: '\n      sequential-replay: { replays: 20, delayMs: 0, inFlightRetries: 0 }',
        },
        ['--deadline', '1s'],
      );
      expect(run.code).toBe(3);
      expect(run.report.status).toBe('incomplete');
      expect(run.report.errors).toEqual([
        {
          code: 'IDEM_DEADLINE_REACHED',
          message: 'the run deadline of 1000 ms was reached; what was observed until then is reported',
        },
      ]);
      expect(run.report.attacks).toEqual([
        expect.objectContaining({ status: 'inconclusive', reason: expect.stringContaining('deadline') as string }),
      ]);
      // 21 requests of 300 ms would take 6 s; the deadline plus one answer in flight is ~1.3 s.
      expect(t.arrivals.length).toBeLessThan(8);
      expect(run.wallMs).toBeLessThan(4_000);
      expect(run.exchanges.length).toBe(t.arrivals.length);
    } finally {
      await t.server.close();
    }
  });

  it('a run that reaches the deadline after a finding exits 1: the finding outranks the missing coverage', async () => {
    // Every answer has a new id: the first replay shows a duplicate write; latency-overhead (100 s
    // of samples at 10 a second) then runs into the deadline.
    const t = await countingTarget(100);
    try {
      const run = await auditHostile(
        {
          url: t.server.url,
          timeout: '5s',
          attacks:
            '\n      sequential-replay: { replays: 1, delayMs: 0, inFlightRetries: 0 }\n      latency-overhead: { samples: 1000, rate: 10 }',
        },
        ['--deadline', '2s'],
      );
      expect(run.report.status).toBe('incomplete');
      expect(run.report.errors.map((e) => e.code)).toEqual(['IDEM_DEADLINE_REACHED']);
      expect(run.report.findings.map((f) => `${f.attack}/${f.kind}`)).toContain('sequential-replay/duplicate-write');
      expect(run.code).toBe(1);
      expect(run.report.exitCode).toBe(1);
    } finally {
      await t.server.close();
    }
  });

  it('rejects something that is not a duration', async () => {
    const r = await cli(['run', 'whatever.yaml', '--deadline', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--deadline must be a duration such as 90s, 10m or 1h30m, got 'soon'");
  });
});

describe('allowed hosts', () => {
  const scenario = (target: string): string =>
    `version: 1\nname: rails\ntarget:\n  baseUrl: http://payments.example.invalid\n${target}${ENDPOINTS}`;
  // --dry-run applies the host policy and then stops: no DNS, no connection, either way.
  const dry = async (text: string, args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    cli(['run', scenarioFile(text).file, '--dry-run', ...args], { env });

  it('refuses a foreign host with an error that says why and what to do (exit 2)', async () => {
    const r = await dry(scenario(''));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error: refusing to audit payments.example.invalid: it is not a loopback address, not in target.allowHosts or IDEM_AUDIT_ALLOW_HOSTS, and the scenario declares no target.environment [IDEM_HOST_REFUSED]',
    );
    expect(r.stderr).toContain('target.environment: staging');
    expect(r.stdout).toBe('');
  });

  it('allows it when listed in target.allowHosts (exact or *.domain)', async () => {
    expect((await dry(scenario('  allowHosts: [payments.example.invalid]\n'))).code).toBe(0);
    expect((await dry(scenario("  allowHosts: ['*.example.invalid']\n"))).code).toBe(0);
    expect((await dry(scenario('  allowHosts: [other.example.invalid]\n'))).code).toBe(2);
  });

  it('allows it when listed in IDEM_AUDIT_ALLOW_HOSTS', async () => {
    const r = await dry(scenario(''), [], { IDEM_AUDIT_ALLOW_HOSTS: 'a.test, payments.example.invalid' });
    expect(r.code).toBe(0);
  });

  it('allows a declared staging environment', async () => {
    expect((await dry(scenario('  environment: staging\n'))).code).toBe(0);
  });

  it('requires --allow-production for a declared production environment', async () => {
    const refused = await dry(scenario('  environment: production\n'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'refusing to audit payments.example.invalid: the scenario declares target.environment: production',
    );
    expect(refused.stderr).toContain('--allow-production');
    expect((await dry(scenario('  environment: production\n'), ['--allow-production'])).code).toBe(0);
  });

  it('checks every node, not only the base URL', async () => {
    const r = await dry(
      `version: 1\nname: rails\ntarget:\n  baseUrl: http://127.0.0.1:9\n  nodes: [http://127.0.0.1:10, http://10.1.2.3:80]\n${ENDPOINTS}`,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to audit 10.1.2.3');
  });

  it('treats loopback in all its spellings as local', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', 'api.localhost', '[::1]', '::1', '::ffff:127.0.0.1'])
      expect(isLoopback(h)).toBe(true);
    for (const h of ['10.0.0.1', '0.0.0.0', 'example.com', 'localhost.example.com', '::2', '128.0.0.1'])
      expect(isLoopback(h)).toBe(false);
  });
});
