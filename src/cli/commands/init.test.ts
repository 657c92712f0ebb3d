import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlaws, startDemoServer } from '../../demo/index.js';
import { cli } from '../../../test/helpers/cli.js';
import { httpServer } from '../../../test/helpers/servers.js';

const PETSTORE = fileURLToPath(new URL('../../../test/fixtures/openapi/petstore3.yaml', import.meta.url));
const dirs: string[] = [];
function emptyDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'idem-init-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('idem-audit init', () => {
  it('from an empty folder, init then run audits the demo target (correct mode: clean)', async () => {
    const dir = emptyDir();
    const server = await startDemoServer({ flaws: parseFlaws('none') });
    try {
      const init = await cli(
        [
          'init',
          '--yes',
          '--base-url',
          server.url,
          '--path',
          '/correct/payments',
          '--body',
          '{"amount":1000,"currency":"usd","customer":"cus_42"}',
        ],
        { cwd: dir },
      );
      expect(init.code, init.stderr).toBe(0);
      const scenario = join(dir, 'idem-audit.yaml');
      const text = readFileSync(scenario, 'utf8');
      expect(text).toMatch(/^# yaml-language-server: \$schema=\.\/idem-audit\.schema\.json$/m);
      const schema = JSON.parse(readFileSync(join(dir, 'idem-audit.schema.json'), 'utf8')) as { title?: string };
      expect(schema.title).toBe('idem-audit scenario');

      expect((await cli(['validate', scenario], { cwd: dir })).code).toBe(0);
      const run = await cli(['run', scenario, '--out', join(dir, 'reports')], { cwd: dir });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'reports', 'report.json'), 'utf8')) as {
        status: string;
        attacks: unknown[];
        findings: unknown[];
      };
      expect(report.status).toBe('completed');
      expect(report.attacks.length).toBeGreaterThan(0);
      expect(report.findings).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('the same starter finds the ignore-key flaw when pointed at it', async () => {
    const dir = emptyDir();
    const server = await startDemoServer({ flaws: parseFlaws('all') });
    try {
      const body = '{"amount":1000,"currency":"usd","customer":"cus_42"}';
      await cli(['init', '--yes', '--base-url', server.url, '--path', '/ignore-key/payments', '--body', body], {
        cwd: dir,
      });
      const run = await cli(
        ['run', join(dir, 'idem-audit.yaml'), '--out', join(dir, 'r'), '--only', 'sequential-replay'],
        {
          cwd: dir,
        },
      );
      expect(run.code, run.stdout + run.stderr).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('refuses to overwrite without --force, and rejects a bad base URL', async () => {
    const dir = emptyDir();
    expect((await cli(['init', '--yes'], { cwd: dir })).code).toBe(0);
    const again = await cli(['init', '--yes'], { cwd: dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect((await cli(['init', '--yes', '--force'], { cwd: dir })).code).toBe(0);
    const bad = await cli(['init', '--yes', '--out', 'x.yaml', '--base-url', 'ftp://x'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(existsSync(join(dir, 'x.yaml'))).toBe(false);
  });

  it('rejects a method or base URL that would write a broken scenario, and writes nothing', async () => {
    const dir = emptyDir();
    for (const args of [
      ['--method', 'POST\n  evil: 1'],
      ['--base-url', 'http://a.b/x}y #z'],
    ]) {
      const r = await cli(['init', '--yes', '--out', 'x.yaml', ...args], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/\[IDEM_USAGE\]/);
      expect(existsSync(join(dir, 'x.yaml'))).toBe(false);
    }
  });

  it('init --from-openapi on the Petstore fixture: validate accepts it and run executes it', async () => {
    const dir = emptyDir();
    // A stand-in for the Petstore server: every write answers 200 with a fresh id and no idempotency.
    const stub = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: randomUUID() }));
      });
    });
    try {
      const env = { PETSTORE_AUTH_TOKEN: 'tok-a', PETSTORE_AUTH_TOKEN_OTHER: 'tok-b' };
      const init = await cli(['init', '--from-openapi', PETSTORE, '--out', 'petstore.yaml', '--base-url', stub.url], {
        cwd: dir,
        env,
      });
      expect(init.code, init.stderr).toBe(0);
      const scenario = join(dir, 'petstore.yaml');
      const validate = await cli(['validate', scenario], { cwd: dir, env });
      expect(validate.code, validate.stderr).toBe(0);
      expect(validate.stdout).toMatch(/5 endpoint\(s\)/);
      const run = await cli(
        ['run', scenario, '--out', join(dir, 'r'), '--only', 'sequential-replay', '--endpoint', 'add-pet'],
        { cwd: dir, env },
      );
      // The stub ignores keys, so the replay executes twice: findings, exit 1, a completed report.
      expect(run.code, run.stdout + run.stderr).toBe(1);
      const report = JSON.parse(readFileSync(join(dir, 'r', 'report.json'), 'utf8')) as {
        status: string;
        findings: { kind: string }[];
      };
      expect(report.status).toBe('completed');
      expect(report.findings.map((f) => f.kind)).toContain('duplicate-write');
      // The credential placeholder was interpolated, sent, and redacted in the report.
      expect(readFileSync(join(dir, 'r', 'report.json'), 'utf8')).not.toContain('tok-a');
    } finally {
      await stub.close();
    }
  });

  it('without the credential variables, validate names them', async () => {
    const dir = emptyDir();
    await cli(['init', '--from-openapi', PETSTORE], { cwd: dir });
    const validate = await cli(['validate', join(dir, 'idem-audit.yaml')], { cwd: dir });
    expect(validate.code).toBe(2);
    expect(validate.stderr).toMatch(/PETSTORE_AUTH_TOKEN/);
  });
});
