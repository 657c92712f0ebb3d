import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAttack, type Attack } from '../attacks/types.js';
import { extensionSchemas } from './extension-schemas.js';
import { loadScenarioText } from '../config/index.js';
import { defineObserver, type Observer, type ObserverInstance } from '../observers/types.js';
import { OBSERVER_CLOSE_MS, runAudit } from './run-audit.js';
import { exitCodeOf } from '../verdict/exit-codes.js';

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"p1"}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

function scenario() {
  const text = `version: 1
name: engine
target: { baseUrl: "${url}", timeout: 2s }
endpoints:
  pay:
    request: { method: POST, path: /payments, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { sequential-replay: {} }
`;
  return loadScenarioText(text, '/tmp/engine.yaml', extensionSchemas(), {});
}

/** One request, then a side-effect count: the shape of most attacks. */
const countingAttack: Record<string, Attack> = {
  'sequential-replay': defineAttack({
    meta: {
      id: 'sequential-replay',
      title: 'test attack',
      description: 'sends once and counts',
      options: extensionSchemas().attacks['sequential-replay'] as never,
      findings: {},
      timingDependent: false,
    },
    async run(ctx) {
      const key = ctx.newKey();
      await ctx.send(ctx.request({ label: 'first', key }));
      await ctx.sideEffects(key);
    },
  }),
};

function observerRegistry(instance: ObserverInstance): Record<string, Observer> {
  return {
    responseId: defineObserver({
      meta: { id: 'responseId', description: 'test', options: extensionSchemas().observers['responseId'] as never },
      create: () => instance,
    }),
  };
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

describe('runAudit', () => {
  it('an interruption is not held up by an observer that never answers: partial report, interrupted, 130', async () => {
    const user = new AbortController();
    const observers = observerRegistry({
      count: () => {
        setTimeout(() => user.abort(), 50);
        return never();
      },
    });
    const t0 = performance.now();
    const result = await runAudit({
      scenario: scenario(),
      attacks: countingAttack,
      observers,
      seed: 1,
      signal: user.signal,
      interruptGraceMs: 200,
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(result.status).toBe('interrupted');
    expect(result.attacks.map((a) => a.status)).toEqual(['inconclusive']);
    expect(exitCodeOf(result)).toBe(130);
  }, 10_000);

  it('an observer that fails makes the attack not audited, never passed (exit 3)', async () => {
    const { ObserverError } = await import('../errors/errors.js');
    const observers = observerRegistry({ count: () => Promise.reject(new ObserverError('responseId', 'broken')) });
    const result = await runAudit({ scenario: scenario(), attacks: countingAttack, observers, seed: 1 });
    expect(result.attacks.map((a) => [a.status, a.reason])).toEqual([['error', 'observer responseId: broken']]);
    expect(result.status).toBe('incomplete');
    expect(exitCodeOf(result)).toBe(3);
  });

  it('an observer whose close never ends cannot keep the result from coming back', async () => {
    const observers = observerRegistry({
      count: () => Promise.resolve({ observer: 'responseId', count: 1, detail: '', evidence: [] }),
      close: never,
    });
    const t0 = performance.now();
    const result = await runAudit({ scenario: scenario(), attacks: countingAttack, observers, seed: 1 });
    expect(performance.now() - t0).toBeLessThan(OBSERVER_CLOSE_MS + 2000);
    expect(result.status).toBe('completed');
    expect(result.attacks.map((a) => a.status)).toEqual(['passed']);
  }, 15_000);

  it('redacts secrets that notes, reasons and errors quote (a driver or the target echoing them)', async () => {
    const { ObserverError } = await import('../errors/errors.js');
    const secret = 'tok-7f3a9c2e51';
    const text = `version: 1
name: engine
target: { baseUrl: "${url}", timeout: 2s, headers: { Authorization: "Bearer \${TOKEN}" } }
endpoints:
  pay:
    request: { method: POST, path: /payments, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { sequential-replay: {} }
`;
    const withSecret = loadScenarioText(text, '/tmp/engine.yaml', extensionSchemas(), { TOKEN: secret });
    const noting: Record<string, Attack> = {
      'sequential-replay': defineAttack({
        ...(countingAttack['sequential-replay'] as Attack),
        async run(ctx) {
          ctx.note(`the target echoed Bearer ${secret}`);
          const key = ctx.newKey();
          await ctx.send(ctx.request({ label: 'first', key }));
          await ctx.sideEffects(key);
        },
      }),
    };
    const observers = observerRegistry({
      count: () => Promise.reject(new ObserverError('responseId', `login failed for token ${secret}`)),
    });
    const result = await runAudit({ scenario: withSecret, attacks: noting, observers, seed: 1 });
    const json = JSON.stringify(result);
    expect(json).not.toContain(secret);
    expect(result.attacks[0]?.reason).toBe('observer responseId: login failed for token [REDACTED]');
    expect(result.attacks[0]?.notes).toEqual(['the target echoed [REDACTED]']);
  });
});
