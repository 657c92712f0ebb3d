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
    expect(r.stdout).toMatch(/^\? inconclusive 0123456789abcdef duplicate-write .*2 of 2 request\(s\) got no answer/);
    expect(r.code).toBe(3);
  });
});

describe('idem-audit replay of a finding made through setup requests', () => {
  it('says it cannot be replayed as plain requests and points at the reproduction command', async () => {
    const result = hostileResult();
    const original = result.findings[0];
    const first = original?.exchanges[0];
    if (!original || !first) throw new Error('fixture has a finding with exchanges');
    const finding = {
      ...original,
      exchanges: [
        { ...first, id: 0, label: 'setup charge', phase: 'setup' as const, key: undefined },
        ...original.exchanges,
      ],
    };
    result.findings[0] = finding;
    const file = join(work, 'setup-report.json');
    writeFileSync(file, JSON.stringify(result));
    const scenario = join(work, 'setup-scenario.yaml');
    writeFileSync(
      scenario,
      'version: 1\nname: s\ntarget: { baseUrl: "http://127.0.0.1:1", headers: { Authorization: "Bearer t0ken-t0ken" } }\nendpoints:\n  pay:\n    request: { path: /payments }\n',
    );
    const r = await cli(['replay', file, '--finding', finding.fingerprint, '--scenario', scenario]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(
      'not replayable as plain requests: its requests use what setup requests created for the run (setup charge, …)',
    );
    expect(r.stdout).toContain(`rerun it with: ${finding.reproduce.command}`);
    expect(r.code).toBe(3);
  });
});

describe('idem-audit replay (guard and judgement)', () => {
  const creds = (baseUrl: string, extra = ''): string => {
    const file = join(work, `s-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `version: 1\nname: creds\ntarget:\n  baseUrl: ${baseUrl}\n  headers: { Authorization: "Bearer t0ken-t0ken" }\n${extra}endpoints:\n  pay:\n    request: { method: POST, path: /payments }\n`,
    );
    return file;
  };

  it('applies the host policy of run to --target: a foreign host is refused (exit 2) before anything is sent', async () => {
    const r = await cli([
      'replay',
      report,
      '--finding',
      '0123456789abcdef',
      '--scenario',
      creds('http://127.0.0.1:1'),
      '--target',
      'http://payments.example.invalid',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to audit payments.example.invalid');
    expect(r.stderr).toContain('[IDEM_HOST_REFUSED]');
    expect(r.stdout).toBe('');
  });

  it('refuses a production target without --allow-production, like run', async () => {
    const file = creds('http://payments.example.invalid', '  environment: production\n');
    const r = await cli(['replay', report, '--finding', '0123456789abcdef', '--scenario', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('target.environment: production');
  });

  it('does not pretend to replay a finding whose conditions resending cannot recreate (a downstream fault)', async () => {
    const base = hostileResult();
    const partial = { ...base, findings: base.findings.map((f) => ({ ...f, attack: 'partial-failure' })) };
    const file = join(work, 'partial.json');
    writeFileSync(file, JSON.stringify(partial));
    const r = await cli(['replay', file, '--finding', '0123456789abcdef', '--scenario', creds('http://127.0.0.1:1')]);
    expect(r.stdout).toMatch(/^\? 0123456789abcdef duplicate-write .*not replayable as plain requests: .*downstream/);
    expect(r.stdout).toContain('rerun it with:');
    expect(r.code).toBe(3);
  });
});
