import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/helpers/cli.js';
import { parseFlaws, startDemoServer } from '../../demo/index.js';

const work = mkdtempSync(join(tmpdir(), 'idem-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('idem-audit run', () => {
  it('quotes a scenario path with spaces and quotes in the reproduction command', async () => {
    const dir = join(work, 'my scenarios $(id)');
    mkdirSync(dir);
    const server = await startDemoServer({ flaws: parseFlaws('all') });
    try {
      const body = '{"amount":1000,"currency":"usd","customer":"cus_42"}';
      const init = await cli(
        [
          'init',
          '--yes',
          '--out',
          "it's.yaml",
          '--base-url',
          server.url,
          '--path',
          '/ignore-key/payments',
          '--body',
          body,
        ],
        { cwd: dir },
      );
      expect(init.code, init.stderr).toBe(0);
      const out = join(work, 'r');
      const run = await cli(['run', "it's.yaml", '--out', out, '--only', 'sequential-replay', '--reporter', 'json'], {
        cwd: dir,
      });
      expect(run.code, run.stderr).toBe(1);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
        findings: { reproduce: { command: string } }[];
      };
      expect(report.findings[0]?.reproduce.command).toMatch(
        /^idem-audit run 'it'\\''s\.yaml' --only sequential-replay /,
      );
    } finally {
      await server.close();
    }
  }, 60_000);

  it('rejects an unknown --reporter even with --dry-run', async () => {
    const dir = join(work, 'dry');
    mkdirSync(dir);
    await cli(['init', '--yes'], { cwd: dir });
    const r = await cli(['run', 'idem-audit.yaml', '--dry-run', '--reporter', 'jsn'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown reporter 'jsn'/);
    expect(r.stdout).toBe('');
  });
});
