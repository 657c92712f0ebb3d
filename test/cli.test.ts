import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { closedPort } from './helpers/servers.js';

const tmp = mkdtempSync(join(tmpdir(), 'idem-audit-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The whole demo (every attack on every endpoint, in parallel lanes) takes about 20 s; a loaded CI machine, longer. */
const FULL_DEMO_MS = 120_000;

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe('idem-audit demo', () => {
  it(
    'finds the demo flaws, writes report.json and events.ndjson, and exits 1',
    async () => {
      const out = join(tmp, 'demo-all');
      const r = await cli(['demo', '--seed', '7', '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('duplicate-write');
      expect(r.stdout).toContain('race › concurrent-burst');
      expect(r.stdout).toContain('--seed 7');
      expect(r.stdout).not.toContain('demo-alice-token');
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
        schemaVersion: number;
        status: string;
        exitCode: number;
        findings: { attack: string; endpoint: string; severity: string; kind: string; fingerprint: string }[];
      };
      expect(report.schemaVersion).toBe(1);
      expect(report.status).toBe('completed');
      expect(report.exitCode).toBe(1);
      const kinds = report.findings.map((f) => `${f.kind}@${f.endpoint}`);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'duplicate-write@race',
          'duplicate-write@ignore-key',
          'missing-key-accepted@key-optional',
          'replay-divergent@replay-divergent',
          'over-deduplication@dedupe-by-body',
          'stuck-key@abandon-on-disconnect',
          'duplicate-write@refund-version-scoped',
          'mismatch-replayed@form-unfingerprinted',
          'duplicate-write@body-key-ignored',
        ]),
      );
      // Nothing on the correct endpoints, the stateful API's twins (correct-charge, …) included.
      expect(kinds.filter((k) => /@correct(-|$)/.test(k))).toEqual([]);
      const raw = readFileSync(join(out, 'report.json'), 'utf8') + readFileSync(join(out, 'events.ndjson'), 'utf8');
      expect(raw).not.toContain('demo-alice-token');
      const events = readFileSync(join(out, 'events.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
      expect(events[0]?.type).toBe('run-start');
      expect(events.at(-1)?.type).toBe('run-end');
      expect(events.filter((e) => e.type === 'exchange').length).toBeGreaterThan(100);
    },
    FULL_DEMO_MS,
  );

  it(
    'is clean and exits 0 on the correct implementation',
    async () => {
      const r = await cli(['demo', '--flaws', 'none', '--seed', '7', '--out', join(tmp, 'demo-none')]);
      expect(r.stdout).toContain('0 findings');
      expect(r.code).toBe(0);
    },
    FULL_DEMO_MS,
  );

  it('salts keys per run, records the salt, and resends the same keys with --key-salt', async () => {
    const keysOf = async (name: string, extra: string[]): Promise<{ salt: string; keys: string[] }> => {
      const out = join(tmp, name);
      const args = ['demo', '--flaws', 'none', '--only', 'sequential-replay', '--endpoint', 'correct'];
      const r = await cli([...args, '--seed', '3', '--out', out, ...extra]);
      expect(r.code).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { keySalt: string };
      const keys = readFileSync(join(out, 'events.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; exchange?: { key?: string } })
        .flatMap((e) => (e.type === 'exchange' && e.exchange?.key ? [e.exchange.key] : []));
      return { salt: report.keySalt, keys };
    };
    const first = await keysOf('salt-1', []);
    const second = await keysOf('salt-2', []);
    const again = await keysOf('salt-3', ['--key-salt', first.salt]);
    expect(first.keys.length).toBeGreaterThan(0);
    expect(second.salt).not.toBe(first.salt);
    expect(second.keys.some((k) => first.keys.includes(k))).toBe(false);
    expect(again.keys).toEqual(first.keys);
    const bad = await cli(['demo', '--key-salt', 'a b', '--out', join(tmp, 'salt-bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--key-salt');
  });

  it('rejects an unknown flaw, an unknown attack and a lane count out of range with exit 2', async () => {
    expect((await cli(['demo', '--flaws', 'racy'])).code).toBe(2);
    for (const n of ['0', '65', 'two']) {
      const lanes = await cli(['demo', '--concurrency', n, '--out', join(tmp, 'x')]);
      expect(lanes.code).toBe(2);
      expect(lanes.stderr).toContain(`--concurrency must be an integer from 1 to 64, got '${n}'`);
    }
    const r = await cli(['demo', '--only', 'concurent-burst', '--out', join(tmp, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown attack 'concurent-burst'");
  });
});

describe('idem-audit validate', () => {
  it('prints every problem with file:line:col and field path, exit 2, no stack trace', async () => {
    const p = file(
      'broken.yaml',
      [
        'version: 1',
        'name: Bad Name',
        'target:',
        '  baseUrl: not-a-url',
        '  timeout: 5 parsecs',
        'endpoints:',
        '  pay:',
        '    request: { path: /p }',
        '    attacks:',
        '      concurent-burst: {}',
        'setings: {}',
        '',
      ].join('\n'),
    );
    const r = await cli(['validate', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${p}:2:7  name`);
    expect(r.stderr).toContain(`${p}:4:12  target.baseUrl`);
    expect(r.stderr).toContain(`${p}:5:12  target.timeout`);
    expect(r.stderr).toMatch(/:10:7 {2}endpoints\.pay\.attacks\.concurent-burst .*did you mean 'concurrent-burst'/);
    expect(r.stderr).toMatch(/:11:1 {2}setings .*did you mean 'settings'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('accepts the bundled demo scenario', async () => {
    const r = await cli(['validate', 'scenarios/demo.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('names a missing environment variable', async () => {
    const p = file(
      'env.yaml',
      'version: 1\nname: e\ntarget: { baseUrl: "${NOPE_URL}" }\nendpoints:\n  a: { request: { path: /x } }\n',
    );
    const r = await cli(['validate', p], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('NOPE_URL');
  });
});

describe('idem-audit run', () => {
  it('exits 3 naming the URL when the target is unreachable', async () => {
    const port = await closedPort();
    const p = file(
      'down.yaml',
      `version: 1\nname: down\ntarget: { baseUrl: "http://127.0.0.1:${port}" }\nendpoints:\n  a: { request: { path: /x } }\n`,
    );
    const out = join(tmp, 'down');
    const r = await cli(['run', p, '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach http://127.0.0.1:${port}`);
    expect(r.stderr).toContain('IDEM_TARGET_UNREACHABLE');
    // CI shows why: the report folder has the verdict, not just an empty event log.
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      status: string;
      exitCode: number;
      errors: { code: string; message: string }[];
      attacks: { status: string; reason: string }[];
    };
    expect(report.status).toBe('incomplete');
    expect(report.exitCode).toBe(3);
    expect(report.errors.map((e) => e.code)).toEqual(['IDEM_TARGET_UNREACHABLE']);
    expect(report.attacks.length).toBeGreaterThan(0);
    expect(report.attacks.every((a) => a.status === 'error' && a.reason.includes('cannot reach'))).toBe(true);
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit).toContain('cannot reach');
    expect(junit).toMatch(/errors="[1-9]/);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('cannot reach');
  });

  it('exits 3 and says why when every selected attack skipped: nothing audited is not green', async () => {
    const target = await import('./helpers/servers.js').then((m) =>
      m.httpServer((_q, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"p"}')),
    );
    try {
      const p = file(
        'optional.yaml',
        `version: 1\nname: optional\ntarget: { baseUrl: "${target.url}" }\ncontract: { keyRequired: false }\nendpoints:\n  a:\n    request: { path: /x }\n    suite: none\n    attacks: { missing-key: {} }\n`,
      );
      const r = await cli(['run', p, '--out', join(tmp, 'optional'), '--reporter', 'json']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('IDEM_NOTHING_AUDITED');
      expect(r.stderr).toContain('missing-key on a: skipped (the contract makes the key optional');
    } finally {
      await target.close();
    }
  });

  it('exits 2 for a missing scenario file', async () => {
    const r = await cli(['run', join(tmp, 'nope.yaml')]);
    expect(r.code).toBe(2);
  });
});

describe('idem-audit schema', () => {
  it('prints a JSON Schema that knows the attacks', async () => {
    const r = await cli(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.stringify(JSON.parse(r.stdout));
    expect(schema).toContain('concurrent-burst');
    expect(schema).toContain('$schema');
  });
});
