import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { audit, loadScenario } from './api.js';

const DEMO = fileURLToPath(new URL('../scenarios/demo.yaml', import.meta.url));

describe('audit()', () => {
  // Nothing listens on port 1: each call must fail on its options before it tries the target.
  const env = { DEMO_URL: 'http://127.0.0.1:1', DEMO_SINK_PORT: '1' };

  it.each([
    [{ only: ['concurent-burst'] }, /only: unknown attack 'concurent-burst'/],
    [{ skip: ['nope'] }, /skip: unknown attack 'nope'/],
    [{ endpoints: ['nowhere'] }, /endpoints: the scenario has no endpoint 'nowhere'/],
  ])('rejects %o instead of auditing nothing and passing', async (options, message) => {
    const scenario = await loadScenario(DEMO, env);
    const err: unknown = await audit(scenario, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'IDEM_USAGE' });
    expect(String((err as Error).message)).toMatch(message);
  });
});
