/**
 * The run's side of the hooks: consent, the record in the attack's result, and the restore of
 * what they broke on every way out of an attack and of the run (an attack that throws, an
 * interruption, a restore that fails).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAttack, type Attack, type AttackContext } from '../attacks/types.js';
import { loadScenarioText } from '../config/index.js';
import { attacks } from '../attacks/index.js';
import { observers } from '../observers/index.js';
import { exitCodeOf } from '../verdict/exit-codes.js';
import { extensionSchemas } from './extension-schemas.js';
import { runAudit } from './run-audit.js';

let server: Server;
let url: string;
const work = mkdtempSync(join(tmpdir(), 'idem-run-hooks-'));
const log = join(work, 'hooks.log');
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"p1"}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(work, { recursive: true, force: true });
});

/** A hook that appends its name (and the secret it was given) to the log, then exits with `code`. */
const hook = (name: string, code = 0): string =>
  `{ run: ["${process.execPath}", -e, "require('node:fs').appendFileSync(process.argv[1], '${name} ' + process.argv[2] + '\\\\n'); process.exit(${code})", "${log}", "\${HOOK_SECRET}"], timeout: 5s }`;

function scenario(storeUpExit = 0) {
  const text = `version: 1
name: hooks
target: { baseUrl: "${url}", timeout: 2s }
endpoints:
  pay:
    request: { method: POST, path: /payments, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { sequential-replay: {} }
hooks:
  crash: ${hook('crash')}
  restart: ${hook('restart')}
  ready: ${hook('ready')}
  storeDown: ${hook('storeDown')}
  storeUp: ${hook('storeUp', storeUpExit)}
`;
  return loadScenarioText(text, join(work, 'hooks.yaml'), extensionSchemas(), { HOOK_SECRET: 'hunter2-secret' });
}

/** An attack in a registered attack's slot (its id and options schema), doing what the test says. */
function stand(
  id: string,
  description: string,
  run: (ctx: AttackContext<unknown>) => Promise<void>,
  meta: Pick<Attack['meta'], 'hooks'> = {},
): Attack {
  return defineAttack({
    meta: {
      id,
      title: `${id} stand-in`,
      description,
      options: extensionSchemas().attacks[id] as never,
      findings: {},
      timingDependent: false,
      ...meta,
    },
    run,
  });
}

/** The registry's sequential-replay slot, filled with a probe that runs hooks and then does `then`. */
function probe(then: (ctx: AttackContext<unknown>) => Promise<void>): Record<string, Attack> {
  return {
    'sequential-replay': stand(
      'sequential-replay',
      'takes the store down and crashes the target, then does what the test says',
      async (ctx) => {
        await ctx.hooks.run('storeDown');
        await ctx.hooks.run('crash');
        await then(ctx);
      },
    ),
  };
}

const logged = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

describe('hooks in a run', () => {
  it('without consent nothing runs, and the attack is told which flag allows it', async () => {
    rmSync(log, { force: true });
    let seen: string | undefined;
    const r = await runAudit({
      scenario: scenario(),
      attacks: probe((ctx) => {
        seen = ctx.hooks.unavailable;
        return Promise.resolve();
      }),
      observers,
      seed: 1,
    });
    expect(seen).toMatch(/hooks are off: .* started with allowHooks$/);
    expect(logged()).toEqual([]);
    expect(r.attacks[0]?.hooks?.map((h) => `${h.hook}:${h.ok}`)).toEqual(['storeDown:false', 'crash:false']);
    expect(r.hooks).toBeUndefined();
  });

  it('records each hook in the attack’s result (redacted) and restores the store and the target after it', async () => {
    rmSync(log, { force: true });
    const r = await runAudit({
      scenario: scenario(),
      attacks: probe(() => Promise.resolve()),
      observers,
      seed: 1,
      allowHooks: true,
    });
    expect(logged()).toEqual([
      'storeDown hunter2-secret',
      'crash hunter2-secret',
      'storeUp hunter2-secret',
      'restart hunter2-secret',
      'ready hunter2-secret',
    ]);
    const hooks = r.attacks[0]?.hooks ?? [];
    expect(hooks.map((h) => `${h.hook}:${h.purpose}`)).toEqual([
      'storeDown:attack',
      'crash:attack',
      'storeUp:restore',
      'restart:restore',
      'ready:restore',
    ]);
    expect(JSON.stringify(r)).not.toContain('hunter2-secret');
    expect(r.attacks[0]?.notes.join('\n')).toMatch(/^hook storeDown \(.*\[REDACTED\]\): exit 0 after \d+ ms$/m);
    expect(r.status).toBe('completed');
    expect(r.errors).toEqual([]);
  });

  it('restores after an attack that throws, and after an interruption', async () => {
    rmSync(log, { force: true });
    const crashed = await runAudit({
      scenario: scenario(),
      attacks: probe(() => Promise.reject(new Error('bug in the attack'))),
      observers,
      seed: 1,
      allowHooks: true,
    });
    expect(crashed.attacks[0]?.status).toBe('error');
    expect(logged().map((l) => l.split(' ')[0])).toEqual(['storeDown', 'crash', 'storeUp', 'restart', 'ready']);

    rmSync(log, { force: true });
    const user = new AbortController();
    const interrupted = await runAudit({
      scenario: scenario(),
      attacks: probe(async (ctx) => {
        user.abort();
        await ctx.sleep(60_000);
      }),
      observers,
      seed: 1,
      allowHooks: true,
      signal: user.signal,
    });
    expect(interrupted.status).toBe('interrupted');
    expect(exitCodeOf(interrupted)).toBe(130);
    expect(logged().map((l) => l.split(' ')[0])).toEqual(['storeDown', 'crash', 'storeUp', 'restart', 'ready']);
  });

  it('a restore that fails is tried again at the end, and then makes the run incomplete, saying what to do', async () => {
    rmSync(log, { force: true });
    const r = await runAudit({
      scenario: scenario(4),
      attacks: probe(() => Promise.resolve()),
      observers,
      seed: 1,
      allowHooks: true,
    });
    expect(logged().map((l) => l.split(' ')[0])).toEqual([
      'storeDown',
      'crash',
      'storeUp',
      'restart',
      'ready',
      'storeUp',
    ]);
    expect(r.hooks?.map((h) => `${h.hook}:${h.ok}:${h.purpose}`)).toEqual(['storeUp:false:restore']);
    expect(r.status).toBe('incomplete');
    expect(exitCodeOf(r)).toBe(3);
    expect(r.errors.map((e) => e.code)).toEqual(['IDEM_HOOK_FAILED']);
    expect(r.errors[0]?.message).toContain('storeUp did not succeed');
    expect(r.errors[0]?.message).toContain('exit 4');
    expect(JSON.stringify(r)).not.toContain('hunter2-secret');
  });

  it('a real crash hook that hangs or cannot be found: process-crash not audited, in bounded time, the target restarted', async () => {
    for (const [crash, reason] of [
      [`{ run: ["${process.execPath}", -e, "setInterval(() => {}, 1000)"], timeout: 500ms }`, 'timed out after 500 ms'],
      ['{ run: [idem-audit-no-such-program] }', 'command not found: idem-audit-no-such-program'],
    ] as const) {
      rmSync(log, { force: true });
      const text = `version: 1
name: real-hooks
target: { baseUrl: "${url}", timeout: 2s }
endpoints:
  pay:
    request: { method: POST, path: /payments, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { process-crash: { trigger: delay, crashAfterMs: 0 } }
hooks:
  crash: ${crash}
  restart: ${hook('restart')}
`;
      const scenario = loadScenarioText(text, join(work, 'real.yaml'), extensionSchemas(), { HOOK_SECRET: 's3cret' });
      const t0 = Date.now();
      const r = await runAudit({ scenario, attacks, observers, seed: 1, allowHooks: true });
      expect(Date.now() - t0).toBeLessThan(6_000);
      expect(r.findings).toEqual([]);
      expect(r.attacks[0]?.status).toBe('inconclusive');
      expect(r.attacks[0]?.reason).toContain('the crash hook failed, so nothing could be judged');
      expect(r.attacks[0]?.reason).toContain(reason);
      expect(r.attacks[0]?.hooks?.map((h) => `${h.hook}:${h.purpose}:${h.ok}`)).toEqual([
        'crash:attack:false',
        'restart:restore:true',
      ]);
      expect(logged()).toEqual(['restart s3cret']);
      expect(exitCodeOf(r)).toBe(3);
    }
  });

  it('runs an attack that runs hooks after every lane is done, alone, though its endpoint is listed first', async () => {
    const slow = stand('distinct-keys', 'sends one request, then waits a little', async (ctx) => {
      await ctx.send(ctx.request({ label: 'one', key: ctx.newKey() }));
      await ctx.sleep(150);
    });
    const crashing = stand(
      'sequential-replay',
      'crashes the target and restarts it',
      async (ctx) => {
        await ctx.hooks.run('crash');
        await ctx.hooks.run('restart');
      },
      { hooks: { required: ['crash', 'restart'] } },
    );
    const text = `version: 1
name: hooks-last
target: { baseUrl: "${url}", timeout: 2s }
endpoints:
  crashy:
    request: { method: POST, path: /payments, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { sequential-replay: {} }
  a:
    request: { method: POST, path: /a, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { distinct-keys: {} }
  b:
    request: { method: POST, path: /b, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { distinct-keys: {} }
hooks:
  crash: ${hook('crash')}
  restart: ${hook('restart')}
`;
    const s = loadScenarioText(text, join(work, 'last.yaml'), extensionSchemas(), { HOOK_SECRET: 'x' });
    const order: string[] = [];
    const r = await runAudit({
      scenario: s,
      attacks: { 'sequential-replay': crashing, 'distinct-keys': slow },
      observers,
      seed: 1,
      allowHooks: true,
      onEvent: (e) => {
        if (e.type === 'attack-start') order.push(`start ${e.endpoint}`);
        if (e.type === 'attack-end') order.push(`end ${e.result.endpoint}`);
      },
    });
    // The other endpoints ran side by side; the crash waited for both to end.
    expect(order.slice(0, 2).sort()).toEqual(['start a', 'start b']);
    expect(order.slice(-2)).toEqual(['start crashy', 'end crashy']);
    // The report keeps the scenario's order.
    expect(r.attacks.map((a) => a.endpoint)).toEqual(['crashy', 'a', 'b']);
  });
});
