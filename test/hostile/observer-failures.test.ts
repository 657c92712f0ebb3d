/**
 * Observer failures: a witness that cannot count (ledger erroring, wrong credentials, hanging,
 * database down, sink port taken) makes the attack "not audited" with the reason, never
 * "passed", and the run exits 3, unless findings elsewhere already make it 1.
 */
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attacks } from '../../src/attacks/index.js';
import { extensionSchemas } from '../../src/engine/extension-schemas.js';
import { loadScenarioText } from '../../src/config/index.js';
import { runAudit } from '../../src/engine/run-audit.js';
import { ObserverError } from '../../src/errors/errors.js';
import { observers } from '../../src/observers/index.js';
import { defineObserver } from '../../src/observers/types.js';
import { closedPort, httpServer, type TestServer } from '../helpers/servers.js';
import { auditHostile, hostileScenario, type HostileRun } from './harness.js';
import { brokenLedger } from './targets.js';

/** Payments answer 201 with a fresh id and honour no key; the ledger answers as told. */
function target(ledger: (res: ServerResponse) => void): Promise<TestServer> {
  let n = 0;
  return httpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/ledger')) ledger(res);
      else res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `pay_${++n}` }));
    });
  });
}

const ONE_ATTACK = '\n      sequential-replay: { replays: 1, delayMs: 0, inFlightRetries: 0 }';

function expectNotAudited(run: HostileRun, reason: RegExp): void {
  expect(run.code).toBe(3);
  expect(run.report.status).toBe('incomplete');
  expect(run.report.findings).toEqual([]);
  expect(run.report.attacks.length).toBeGreaterThan(0);
  for (const a of run.report.attacks) {
    expect(a.status).toBe('error');
    expect(a.reason).toMatch(reason);
  }
  expect(run.report.summary.attacks.passed).toBe(0);
  expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('observer failures', () => {
  it('ledger answers 500: not audited, with the status in the reason', async () => {
    const t = await target((res) => res.writeHead(500).end('boom'));
    try {
      const run = await auditHostile({ url: t.url, ledger: true, attacks: ONE_ATTACK });
      expectNotAudited(run, /^observer http: GET \/ledger\?key=[0-9a-f-]{36} answered 500$/);
    } finally {
      await t.close();
    }
  });

  it('ledger refuses the credentials (401): not audited', async () => {
    const t = await target((res) => res.writeHead(401, { 'www-authenticate': 'Bearer' }).end());
    try {
      const run = await auditHostile({ url: t.url, ledger: true, attacks: ONE_ATTACK });
      expectNotAudited(run, /answered 401$/);
    } finally {
      await t.close();
    }
  });

  it('ledger hangs: not audited once the request deadline passes', async () => {
    const t = await target(() => undefined);
    try {
      const run = await auditHostile({ url: t.url, ledger: true, attacks: ONE_ATTACK });
      expectNotAudited(run, /answered timeout \(the target did not answer in time/);
      expect(run.wallMs).toBeLessThan(10_000);
    } finally {
      await t.close();
    }
  });

  it('ledger answers something that is not JSON: not audited', async () => {
    const t = await brokenLedger({ contentType: 'application/json', body: 'count=1' });
    try {
      const run = await auditHostile({ url: t.url, ledger: true, attacks: ONE_ATTACK });
      expectNotAudited(run, /did not answer with JSON \(content-type application\/json\)$/);
    } finally {
      await t.close();
    }
  });

  it('findings elsewhere still make the exit code 1, with the broken attack reported as not audited', async () => {
    const t = await target((res) => res.writeHead(503).end());
    try {
      const run = await auditHostile(
        {
          url: t.url,
          ledger: true,
          attacks: `${ONE_ATTACK}\n      missing-key: {}`,
        },
        // missing-key-accepted is medium; the default failOn (high) would not count it.
        ['--fail-on', 'medium'],
      );
      expect(run.code).toBe(1);
      expect(run.report.status).toBe('incomplete');
      const byAttack = Object.fromEntries(run.report.attacks.map((a) => [a.attack, a]));
      expect(byAttack['sequential-replay']?.status).toBe('error');
      expect(byAttack['sequential-replay']?.reason).toMatch(/answered 503$/);
      expect(byAttack['missing-key']?.status).toBe('failed');
      expect(run.report.findings.map((f) => f.kind)).toEqual(['missing-key-accepted']);
    } finally {
      await t.close();
    }
  });

  it('database down (sql observer): not audited, and the connection string stays out of the report', async () => {
    const t = await target((res) => res.writeHead(200).end('{"count":1}'));
    const port = await closedPort();
    try {
      const run = await auditHostile(
        {
          url: t.url,
          attacks: ONE_ATTACK,
          observe: `      - sql: { url: 'postgres://auditor:\${DB_PASSWORD}@127.0.0.1:${port}/payments', query: 'select count(*) from payments where key = $1', params: ['{{key}}'], timeoutMs: 2000 }\n`,
        },
        [],
        { DB_PASSWORD: 'db-pass-77e1c9a4' },
      );
      expectNotAudited(run, /^observer sql: cannot connect/);
      expect(JSON.stringify(run.report)).not.toContain('db-pass-77e1c9a4');
    } finally {
      await t.close();
    }
  });

  it('an observer that cannot even be set up fails its attacks, not the whole run', async () => {
    // The built-in observers refuse bad options when the scenario is loaded; an extension's
    // create() may still refuse at run time.
    const broken = defineObserver({
      meta: { id: 'broken', description: 'cannot be set up', options: z.strictObject({}) },
      create() {
        throw new ObserverError('broken', 'the credentials file is missing');
      },
    });
    const ext = extensionSchemas();
    const t = await target((res) => res.writeHead(200).end('{"count":1}'));
    try {
      const yaml = hostileScenario({
        url: t.url,
        attacks: `${ONE_ATTACK}\n      missing-key: {}`,
        observe: '      - broken: {}\n',
      });
      const scenario = loadScenarioText(yaml, '/tmp/broken-observer.yaml', {
        ...ext,
        observers: { ...ext.observers, broken: broken.meta.options },
      });
      const report = await runAudit({ scenario, attacks, observers: { ...observers, broken }, seed: 1 });
      expect(report.status).toBe('incomplete');
      const byAttack = Object.fromEntries(report.attacks.map((a) => [a.attack, a]));
      expect(byAttack['sequential-replay']?.status).toBe('error');
      expect(byAttack['sequential-replay']?.reason).toBe('observer broken: the credentials file is missing');
      // missing-key judges answers, not side effects: it still runs (and finds the accepted request).
      expect(byAttack['missing-key']?.status).toBe('failed');
    } finally {
      await t.close();
    }
  });

  it('sink port taken: not audited, with the address in the reason', async () => {
    const t = await target((res) => res.writeHead(200).end('{"count":1}'));
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', r));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      const run = await auditHostile({
        url: t.url,
        attacks: ONE_ATTACK,
        observe: `      - sink: { listen: '127.0.0.1:${port}' }\n`,
      });
      expectNotAudited(run, new RegExp(`^observer sink: cannot listen on 127\\.0\\.0\\.1:${port}`));
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
      await t.close();
    }
  });
});
