/**
 * `init --from-openapi` end to end, through the CLI: a scenario drafted from each fixture spec is
 * validated and run, unedited but for the base URL and the credentials, with the default suite
 * against a server that implements the spec correctly (it must come back clean: exit 0, every
 * cell passed or skipped for a stated reason), and against a flawed one (the flaw must be found).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlaws, startDemoServer } from '../src/demo/index.js';
import { cli } from './helpers/cli.js';
import { paypalLike } from './helpers/paypal-like-server.js';

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/openapi/${name}`, import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Report {
  status: string;
  findings: { kind: string; endpoint: string; attack: string }[];
  attacks: { endpoint: string; attack: string; status: string; reason?: string }[];
}

/**
 * Skips a correct target still gets from the default suite: no nodes, no sink, a TTL too long to
 * wait for, and no missing-key check where the spec makes the key optional.
 */
const HONEST_SKIPS = /target\.nodes|no sink observer|declared TTL|makes the key optional/;

async function draft(spec: string): Promise<{ dir: string; scenario: string; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'idem-init-openapi-'));
  dirs.push(dir);
  const init = await cli(['init', '--from-openapi', spec, '--out', 'drafted.yaml'], { cwd: dir });
  expect(init.code, init.stderr).toBe(0);
  return { dir, scenario: join(dir, 'drafted.yaml'), stdout: init.stdout };
}

async function run(
  d: { dir: string; scenario: string },
  env: Record<string, string>,
  extra: string[] = [],
): Promise<{ code: number; report: Report; output: string }> {
  const out = join(d.dir, `r-${Math.random().toString(36).slice(2)}`);
  const validate = await cli(['validate', d.scenario], { cwd: d.dir, env });
  expect(validate.code, validate.stderr).toBe(0);
  const r = await cli(['run', d.scenario, '--out', out, '--seed', '7', ...extra], { cwd: d.dir, env });
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  return { code: r.code, report, output: r.stdout + r.stderr };
}

function expectClean(r: { code: number; report: Report; output: string }): void {
  expect(r.report.findings, r.output).toEqual([]);
  expect(r.report.status).toBe('completed');
  for (const a of r.report.attacks) {
    if (a.status !== 'passed') expect(`${a.attack}@${a.endpoint}: ${a.status} ${a.reason ?? ''}`).toMatch(HONEST_SKIPS);
  }
  expect(r.code, r.output).toBe(0);
}

describe('init --from-openapi drafts scenarios that run as written', () => {
  it('Stripe-like (forms, links customer → charge → refund): clean on the correct API, the refund flaw found', async () => {
    const d = await draft(fixture('stripe-like.yaml'));
    expect(d.stdout).toMatch(/drafted 3 endpoint\(s\): 2 with setup steps \(3 steps in all\)/);
    const server = await startDemoServer({ flaws: parseFlaws('refund-version-scoped'), processingMs: 10 });
    try {
      const creds = { BEARERAUTH_TOKEN: 'alice', BEARERAUTH_TOKEN_OTHER: 'bob' };
      const clean = await run(d, { ...creds, API_URL: `${server.url}/correct` });
      expectClean(clean);
      expect(clean.report.attacks.filter((a) => a.status === 'passed')).toHaveLength(39);

      const flawed = await run(d, { ...creds, API_URL: `${server.url}/refund-version-scoped` }, [
        '--only',
        'sequential-replay',
      ]);
      expect(flawed.code, flawed.output).toBe(1);
      expect(flawed.report.findings.map((f) => `${f.kind}@${f.endpoint}`)).toContain('duplicate-write@create-refund');
      expect(flawed.report.findings.every((f) => f.endpoint === 'create-refund')).toBe(true);
    } finally {
      await server.close();
    }
  }, 180_000);

  it('Square-like (the key in the JSON body, a flow from the path): clean on the correct API, an unread body key found', async () => {
    const d = await draft(fixture('square-like.json'));
    const server = await startDemoServer({ flaws: parseFlaws('body-key-ignored'), processingMs: 10 });
    try {
      const creds = { OAUTH2_TOKEN: 'alice', OAUTH2_TOKEN_OTHER: 'bob' };
      expectClean(await run(d, { ...creds, API_URL: `${server.url}/correct` }));
      const flawed = await run(d, { ...creds, API_URL: `${server.url}/body-key-ignored` }, [
        '--only',
        'sequential-replay',
        '--endpoint',
        'create-payment',
      ]);
      expect(flawed.code, flawed.output).toBe(1);
      expect(flawed.report.findings.map((f) => `${f.kind}@${f.endpoint}`)).toEqual(['duplicate-write@create-payment']);
    } finally {
      await server.close();
    }
  }, 180_000);

  it('PayPal-like (its own key header, optional to create and required to capture): clean on a correct server', async () => {
    const d = await draft(fixture('paypal-like.yaml'));
    const server = await paypalLike();
    try {
      expectClean(await run(d, { OAUTH2_TOKEN: 'alice', OAUTH2_TOKEN_OTHER: 'bob', API_URL: server.url }));
    } finally {
      await server.close();
    }
  }, 180_000);
});
