/**
 * `serve-demo --http2`: the demo over h2c and over TLS, run as a real child process (the command
 * waits for Ctrl-C), then audited through the single-packet path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { auditYaml } from '../../../test/helpers/audit-yaml.js';
import { cli } from '../../../test/helpers/cli.js';

const BIN = fileURLToPath(new URL('../../../bin/idem-audit.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'idem-serve-demo-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** Starts `idem-audit serve-demo …` and resolves with the URL it prints. */
function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [BIN, 'serve-demo', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve-demo printed no URL: ${out}`)), 20_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve-demo exited ${code}: ${out}`)));
  });
}

const scenario = (url: string, http2: boolean): string =>
  `version: 1\nname: t\ntarget: { baseUrl: "${url}", http2: ${http2}, headers: { Authorization: Bearer t } }\nendpoints:\n  race:\n    request: { path: /race/payments, body: { amount: 1, currency: usd, customer: c } }\n    observe: [ { http: { path: "/race/ledger?key={{key}}", count: $.count } } ]\n    suite: none\n    attacks: { concurrent-burst: {} }\n`;

describe('serve-demo --http2', () => {
  it('h2c: the race flaw is found through single-packet bursts', async () => {
    const { url, child } = await serve(['--http2', 'h2c', '--flaws', 'race']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await auditYaml(scenario(url, true));
    expect(r.findings.map((f) => f.kind)).toEqual(['duplicate-write']);
    expect(r.attacks[0]?.bursts.every((b) => b.sync === 'single-packet')).toBe(true);
    child.kill('SIGINT');
  }, 60_000);

  it('tls: writes its certificate with --cert-out; the race is found over h2 negotiated by ALPN', async () => {
    const cert = join(work, 'demo-ca.pem');
    const { url, child } = await serve(['--http2', 'tls', '--flaws', 'race', '--cert-out', cert]);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    // The audit runs in a child so NODE_EXTRA_CA_CERTS (read at start-up) applies, as it would for a user.
    const yaml = join(work, 'tls.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(yaml, scenario(url, false));
    const audit = spawn(process.execPath, [BIN, 'run', yaml, '--out', join(work, 'out'), '--seed', '1'], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(audit);
    let out = '';
    audit.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((done) => audit.on('exit', done));
    expect(out).toContain('duplicate-write');
    expect(code).toBe(1);
    child.kill('SIGINT');
  }, 60_000);

  it('refuses --http2 with several nodes, and --cert-out without tls', async () => {
    expect((await cli(['serve-demo', '--http2', 'h2c', '--nodes', '2'])).code).toBe(2);
    expect((await cli(['serve-demo', '--cert-out', join(work, 'x.pem')])).code).toBe(2);
  });
});
