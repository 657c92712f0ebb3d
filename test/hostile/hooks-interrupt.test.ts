/**
 * Ctrl-C in the middle of a store outage, on a real child process (the built CLI): the store must
 * come back whatever the user does. The store is a marker file the storeDown hook writes and the
 * storeUp hook removes; the target hangs while it exists, as middleware waiting on a paused Redis
 * does. `npm test` builds dist/ first; run alone, this file builds it when it is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditResult } from '../../src/result/result.js';
import { httpServer, type TestServer } from '../helpers/servers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'idem-audit.js');

beforeAll(() => {
  if (existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; the interruption tests need dist/');
}, 180_000);

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGKILL');
});

interface Rig {
  dir: string;
  marker: string;
  log: string;
  target: TestServer;
  /** Requests that arrived while the store was down (and hang). */
  hanging: () => number;
}

/** A target that answers at once, and hangs while the store marker exists. */
async function rig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'idem-hooks-interrupt-'));
  const marker = join(dir, 'store-down');
  let hanging = 0;
  let n = 0;
  const target = await httpServer((req, res) => {
    req.resume();
    if (existsSync(marker)) {
      hanging += 1;
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `pay_${++n}` }));
  });
  return { dir, marker, log: join(dir, 'hooks.log'), target, hanging: () => hanging };
}

function hookScript(r: Rig, name: string, body: string): string {
  const file = join(r.dir, `${name}.cjs`);
  writeFileSync(
    file,
    `const fs = require('node:fs');\n${body}\nfs.appendFileSync(${JSON.stringify(r.log)}, '${name}\\n');\n`,
  );
  return file;
}

function startAudit(
  r: Rig,
  storeUpDelayMs = 0,
): { proc: ChildProcess; out: string; exit: Promise<number | null>; stderr: () => string } {
  const down = hookScript(r, 'storeDown', `fs.writeFileSync(${JSON.stringify(r.marker)}, 'down');`);
  const up = hookScript(
    r,
    'storeUp',
    `const until = Date.now() + ${storeUpDelayMs}; while (Date.now() < until) {}\nfs.rmSync(${JSON.stringify(r.marker)}, { force: true });`,
  );
  const file = join(r.dir, 'scenario.yaml');
  writeFileSync(
    file,
    `version: 1
name: hooks-interrupt
target: { baseUrl: "${r.target.url}", timeout: 60s }
endpoints:
  pay:
    request: { method: POST, path: /pay, body: { amount: 1 } }
    observe: [ { responseId: $.id } ]
    suite: none
    attacks: { store-outage: { timeoutMs: 60000, settleMs: 0 } }
hooks:
  storeDown: { run: ["${process.execPath}", "${down}"], timeout: 10s }
  storeUp: { run: ["${process.execPath}", "${up}"], timeout: 10s }
settings: { seed: 1 }
`,
  );
  const out = join(r.dir, 'report');
  const proc = spawn(process.execPath, [BIN, 'run', file, '--allow-hooks', '--out', out], {
    cwd: r.dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout?.resume();
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, out, exit, stderr: () => stderr };
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const logged = (r: Rig): string[] => (existsSync(r.log) ? readFileSync(r.log, 'utf8').trim().split('\n') : []);

describe('Ctrl-C during a store outage (real child process)', () => {
  it('brings the store back (storeUp) before it writes the interrupted report and exits 130', async () => {
    const r = await rig();
    try {
      const child = startAudit(r);
      await until(() => r.hanging() >= 1, 'a request to hang on the store that is down');
      expect(existsSync(r.marker)).toBe(true);
      child.proc.kill('SIGINT');
      expect(await child.exit).toBe(130);
      expect(existsSync(r.marker)).toBe(false);
      expect(logged(r)).toEqual(['storeDown', 'storeUp']);
      const report = JSON.parse(readFileSync(join(child.out, 'report.json'), 'utf8')) as AuditResult;
      expect(report.status).toBe('interrupted');
      expect(report.attacks[0]?.hooks?.map((h) => `${h.hook}:${h.purpose}:${h.ok}`)).toEqual([
        'storeDown:attack:true',
        'storeUp:restore:true',
      ]);
      expect(child.stderr()).toContain('bringing back the store and the target if a hook took them away');
    } finally {
      await r.target.close();
    }
  }, 30_000);

  it('a second Ctrl-C exits at once, but only after running the pending storeUp', async () => {
    const r = await rig();
    try {
      // storeUp takes 1.5 s: the second Ctrl-C lands while the run's own restore is still at it.
      const child = startAudit(r, 1_500);
      await until(() => r.hanging() >= 1, 'a request to hang on the store that is down');
      child.proc.kill('SIGINT');
      await until(() => child.stderr().includes('interrupting'), 'the first interrupt to be acknowledged', 5_000);
      // The hanging request gets its 2 s grace, then the attack ends and its restore starts.
      await new Promise((res) => setTimeout(res, 2_600));
      const secondAt = Date.now();
      child.proc.kill('SIGINT');
      expect(await child.exit).toBe(130);
      // The run's restore could not have finished before (the grace alone is 2 s): storeUp ran again, synchronously, on exit.
      expect(Date.now() - secondAt).toBeGreaterThanOrEqual(1_300);
      expect(existsSync(r.marker)).toBe(false);
      expect(logged(r)).toEqual(['storeDown', 'storeUp']);
    } finally {
      await r.target.close();
    }
  }, 30_000);

  it('a second Ctrl-C before any restore began still runs storeUp on the way out', async () => {
    const r = await rig();
    try {
      const child = startAudit(r);
      await until(() => r.hanging() >= 1, 'a request to hang on the store that is down');
      child.proc.kill('SIGINT');
      await until(() => child.stderr().includes('interrupting'), 'the first interrupt to be acknowledged', 5_000);
      child.proc.kill('SIGINT');
      expect(await child.exit).toBe(130);
      expect(existsSync(r.marker)).toBe(false);
      expect(logged(r)).toEqual(['storeDown', 'storeUp']);
    } finally {
      await r.target.close();
    }
  }, 30_000);
});
