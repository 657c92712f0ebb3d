/**
 * Ctrl-C and SIGTERM on a real child process (the built CLI, bin/idem-audit.js): sending stops
 * at once, requests in flight get a bounded grace period (2 s) and are then aborted, the partial
 * report is written marked `interrupted`, and the process exits 130. A second Ctrl-C exits at
 * once. `npm test` builds dist/ first; run alone, this file builds it when it is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AuditResult } from '../../src/result/result.js';
import type { Exchange } from '../../src/http/exchange.js';
import { httpServer, type TestServer } from '../helpers/servers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'idem-audit.js');

beforeAll(() => {
  if (existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; the interruption tests need dist/');
}, 180_000);

interface Recorder {
  server: TestServer;
  /** Arrival time (Date.now()) of every request. */
  arrivals: number[];
  /** The path of every request, in arrival order. */
  paths: string[];
}

/** A slow payments target: answers after `delayMs`, or never once `hangAfter` requests arrived. */
async function slowTarget(delayMs: number, hangAfter = Number.POSITIVE_INFINITY): Promise<Recorder> {
  const arrivals: number[] = [];
  const paths: string[] = [];
  let n = 0;
  const server = await httpServer((req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    arrivals.push(Date.now());
    paths.push(req.url ?? '');
    const id = ++n;
    if (id > hangAfter) return; // never answers
    setTimeout(() => {
      if (!res.destroyed)
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `pay_${id}` }));
    }, delayMs);
  });
  return { server, arrivals, paths };
}

interface Child {
  proc: ChildProcess;
  out: string;
  exit: Promise<{ code: number | null; at: number }>;
  stderr: () => string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGKILL');
});

/** `endpoints`: one per name, on /<name>; `args`: more command-line options. */
function startAudit(url: string, endpoints: readonly string[] = ['pay'], args: readonly string[] = []): Child {
  const dir = mkdtempSync(join(tmpdir(), 'idem-audit-interrupt-'));
  const file = join(dir, 'scenario.yaml');
  const declared = endpoints
    .map(
      (name) => `  ${name}:
    request: { method: POST, path: /${name}, body: { amount: 1 } }
    observe:
      - responseId: $.id
    suite: none
    attacks:
      sequential-replay: { replays: 20, delayMs: 0, inFlightRetries: 0 }
`,
    )
    .join('');
  writeFileSync(
    file,
    `version: 1
name: interrupt
target:
  baseUrl: ${url}
  timeout: 30s
endpoints:
${declared}settings:
  seed: 1
`,
  );
  const out = join(dir, 'report');
  const proc = spawn(process.execPath, [BIN, 'run', file, '--out', out, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout?.resume();
  const exit = new Promise<{ code: number | null; at: number }>((resolve) =>
    proc.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  return { proc, out, exit, stderr: () => stderr };
}

async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readReport(out: string): { report: AuditResult & { exitCode: number }; exchanges: Exchange[] } {
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as AuditResult & { exitCode: number };
  const exchanges = readFileSync(join(out, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; exchange?: Exchange })
    .flatMap((e) => (e.type === 'exchange' && e.exchange ? [e.exchange] : []));
  return { report, exchanges };
}

describe('interruption of a real child process', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: stops sending, lets the request in flight answer, writes an interrupted report, exits 130`, async () => {
      const t = await slowTarget(400);
      try {
        const child = startAudit(t.server.url);
        await until(() => t.arrivals.length >= 3, 'three requests to arrive');
        const sentAt = Date.now();
        const before = t.arrivals.length;
        child.proc.kill(signal);
        const { code, at } = await child.exit;
        expect(code).toBe(130);
        // Bounded: the 400 ms answer in flight plus reporting, well inside the 2 s grace.
        expect(at - sentAt).toBeLessThan(5_000);
        // Nothing new left after the signal (one request may have been on its way already).
        expect(t.arrivals.length - before).toBeLessThanOrEqual(1);
        expect(t.arrivals.filter((a) => a > sentAt + 250)).toEqual([]);
        const { report, exchanges } = readReport(child.out);
        expect(report.status).toBe('interrupted');
        expect(report.exitCode).toBe(130);
        expect(report.findings).toEqual([]);
        expect(report.attacks).toEqual([
          expect.objectContaining({
            attack: 'sequential-replay',
            status: 'inconclusive',
            reason: 'interrupted before the attack finished',
          }),
        ]);
        // What was observed so far is in the report, including the answer that came in the grace period.
        expect(report.requests).toBe(t.arrivals.length);
        expect(exchanges.length).toBe(t.arrivals.length);
        for (const ex of exchanges) expect(ex.response?.status).toBe(201);
        expect(child.stderr()).toContain('interrupting: finishing requests in flight');
      } finally {
        await t.server.close();
      }
    });
  }

  it('with lanes in flight: every lane stops, the partial report lists each interrupted attack in plan order, exit 130', async () => {
    const t = await slowTarget(300);
    try {
      const child = startAudit(t.server.url, ['a', 'b', 'c', 'd', 'e'], ['--concurrency', '3']);
      await until(() => new Set(t.paths).size >= 3 && t.arrivals.length >= 6, 'three lanes to be sending');
      const sentAt = Date.now();
      child.proc.kill('SIGINT');
      const { code, at } = await child.exit;
      expect(code).toBe(130);
      expect(at - sentAt).toBeLessThan(5_000);
      // Three lanes were busy; the endpoints behind them never started.
      expect(new Set(t.paths)).toEqual(new Set(['/a', '/b', '/c']));
      expect(t.arrivals.filter((a) => a > sentAt + 250)).toEqual([]);
      const { report, exchanges } = readReport(child.out);
      expect(report.status).toBe('interrupted');
      expect(report.exitCode).toBe(130);
      expect(report.attacks.map((a) => [a.endpoint, a.status, a.reason])).toEqual(
        ['a', 'b', 'c'].map((e) => [e, 'inconclusive', 'interrupted before the attack finished']),
      );
      expect(report.requests).toBe(t.arrivals.length);
      expect(exchanges.length).toBe(t.arrivals.length);
      for (const ex of exchanges) expect(ex.response?.status).toBe(201);
    } finally {
      await t.server.close();
    }
  });

  it('a request that never answers is aborted when the 2 s grace period ends', async () => {
    const t = await slowTarget(50, 3);
    try {
      const child = startAudit(t.server.url);
      await until(() => t.arrivals.length >= 4, 'the hanging request to arrive');
      await new Promise((r) => setTimeout(r, 100));
      const sentAt = Date.now();
      child.proc.kill('SIGINT');
      const { code, at } = await child.exit;
      expect(code).toBe(130);
      expect(at - sentAt).toBeGreaterThanOrEqual(1_900);
      expect(at - sentAt).toBeLessThan(8_000);
      expect(t.arrivals.length).toBe(4);
      const { report, exchanges } = readReport(child.out);
      expect(report.status).toBe('interrupted');
      const last = exchanges.at(-1);
      expect(last?.response).toBeUndefined();
      expect(last?.error?.code).toBe('aborted');
      expect(last?.error?.message).toContain('the request was aborted');
      expect(report.findings).toEqual([]);
    } finally {
      await t.server.close();
    }
  });

  it('a second Ctrl-C exits at once, without waiting for the grace period', async () => {
    const t = await slowTarget(50, 3);
    try {
      const child = startAudit(t.server.url);
      await until(() => t.arrivals.length >= 4, 'the hanging request to arrive');
      child.proc.kill('SIGINT');
      await until(() => child.stderr().includes('interrupting'), 'the first interrupt to be acknowledged', 5_000);
      const secondAt = Date.now();
      child.proc.kill('SIGINT');
      const { code, at } = await child.exit;
      expect(code).toBe(130);
      expect(at - secondAt).toBeLessThan(1_500);
    } finally {
      await t.server.close();
    }
  });
});
