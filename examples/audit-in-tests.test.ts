/**
 * Auditing an API from your own test suite. Here the API is idem-audit's demo target; in your
 * project, start your service (or point at a staging URL) and load your own scenario file.
 * In a project that installed the package, import from 'idem-audit' instead of '../src/index.js'
 * (and the demo target from 'idem-audit/demo' instead of '../src/demo/index.js').
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlaws, startDemoServer } from '../src/demo/index.js';
import { audit, exitCodeOf, loadScenario } from '../src/index.js';

const SCENARIO = fileURLToPath(new URL('../scenarios/demo.yaml', import.meta.url));

describe('the payments API keeps its idempotency promise', () => {
  let server: Awaited<ReturnType<typeof startDemoServer>>;
  beforeAll(async () => {
    // 'all' switches every flaw on; each flaw lives under its own path prefix, /correct/ stays correct.
    server = await startDemoServer({ flaws: parseFlaws('all') });
  });
  afterAll(() => server.close());

  it('the correct endpoint passes the default suite', async () => {
    const result = await audit(SCENARIO, { env: { DEMO_URL: server.url }, endpoints: ['correct'], seed: 7 });
    expect(result.status).toBe('completed');
    expect(result.findings).toEqual([]);
    expect(exitCodeOf(result)).toBe(0);
  });

  it('a target that ignores the key is caught re-executing a retry', async () => {
    // A loaded scenario can be audited several times, e.g. once per endpoint or attack.
    const scenario = await loadScenario(SCENARIO, { DEMO_URL: server.url });
    const result = await audit(scenario, { endpoints: ['ignore-key'], only: ['sequential-replay'], seed: 7 });
    expect(result.findings.map((f) => [f.kind, f.severity])).toContainEqual(['duplicate-write', 'critical']);
    expect(exitCodeOf(result)).toBe(1);
  });
});
