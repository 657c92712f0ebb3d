import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/helpers/cli.js';
import { hostileResult } from '../../reporters/__fixtures__/hostile-result.js';

const work = mkdtempSync(join(tmpdir(), 'idem-replay-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const report = join(work, 'report.json');
writeFileSync(report, JSON.stringify(hostileResult()));

describe('idem-audit replay (usage)', () => {
  it('refuses a --target that is not a URL with a usage error', async () => {
    const r = await cli(['replay', report, '--target', 'http://[nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--target must be an http\(s\) URL/);
  });

  it('names the fingerprints when the one asked for is unknown', async () => {
    const r = await cli(['replay', report, '--finding', 'deadbeef']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no finding with fingerprint 'deadbeef'");
    expect(r.stderr).toContain('0123456789abcdef');
  });

  it('reads --scenario relative to the working directory and says when nothing answered', async () => {
    writeFileSync(
      join(work, 'creds.yaml'),
      [
        'version: 1',
        'name: creds',
        'target:',
        '  baseUrl: http://127.0.0.1:1',
        '  headers: { Authorization: "Bearer t0ken-t0ken" }',
        'endpoints:',
        '  pay:',
        '    request: { method: POST, path: /payments }',
        '',
      ].join('\n'),
    );
    const r = await cli(['replay', report, '--finding', '0123456789abcdef', '--scenario', 'creds.yaml'], {
      cwd: work,
    });
    expect(r.stderr).not.toContain('IDEM_SCENARIO_NOT_FOUND');
    expect(r.stdout).toMatch(/^\? 0123456789abcdef duplicate-write .*no request was answered/);
    expect(r.code).toBe(3);
  });
});
