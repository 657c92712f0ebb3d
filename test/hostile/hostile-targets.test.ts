/**
 * The hostile-target suite: idem-audit against peers that stall, trickle, flood, lie about
 * HTTP, reset, loop, or answer garbage. For each one the run must end within its bounds,
 * describe the problem in plain words, and never turn a transport failure into a finding.
 */
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/servers.js';
import { auditHostile, type HostileRun, type HostileScenario } from './harness.js';
import * as targets from './targets.js';

/** Two attacks with a 1 s timeout: a few timeouts in a row, plus preflight and reporting. */
const WALL_BOUND_MS = 12_000;

async function against<S extends TestServer>(
  start: () => Promise<S>,
  scenario: Omit<HostileScenario, 'url'>,
  check: (run: HostileRun, server: S) => void | Promise<void>,
): Promise<void> {
  const server = await start();
  try {
    await check(await auditHostile({ ...scenario, url: server.url }), server);
  } finally {
    await server.close();
  }
}

/**
 * The outcome every transport failure must have: not audited, no finding, exit 3. The attack
 * reason names the failure class (`timeout×3`); the exchanges carry the plain-words account.
 */
function expectNotAudited(run: HostileRun, reason: RegExp): void {
  expect(run.code).toBe(3);
  expect(run.report.status).toBe('incomplete');
  expect(run.report.exitCode).toBe(3);
  expect(run.report.findings).toEqual([]);
  expect(run.report.attacks.map((a) => a.status)).not.toContain('passed');
  expect(run.report.attacks.map((a) => a.status)).not.toContain('failed');
  for (const a of run.report.attacks) expect(a.reason).toMatch(reason);
  expect(run.wallMs).toBeLessThan(WALL_BOUND_MS);
  expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
}

/**
 * Every exchange sent to the target failed, with this class and these words. `partial` is what
 * the pooled sender says when headers came before the failure (synchronised bursts read raw
 * sockets and report the failure alone).
 */
function expectExchangeErrors(run: HostileRun, code: string, words: RegExp, partial?: RegExp): void {
  const attackExchanges = run.exchanges.filter((e) => !e.attack.startsWith('observe:'));
  expect(attackExchanges.length).toBeGreaterThan(0);
  for (const ex of attackExchanges) {
    expect(ex.response).toBeUndefined();
    expect(ex.error?.code).toBe(code);
    expect(ex.error?.message).toMatch(words);
    if (partial && ex.burst === undefined) expect(ex.error?.message).toMatch(partial);
  }
}

describe('hostile targets', () => {
  it('never answers: every request times out, nothing is judged', async () => {
    await against(targets.neverAnswers, {}, (run) => {
      expectNotAudited(run, /\(timeout×\d+\)/);
      expectExchangeErrors(run, 'timeout', /the target did not answer in time.*1000 ms/);
    });
  });

  it('answers headers then stalls: the half answer is not an answer', async () => {
    await against(targets.headersThenStall, {}, (run) => {
      expectNotAudited(run, /\(timeout×\d+\)/);
      expectExchangeErrors(
        run,
        'timeout',
        /the target did not answer in time/,
        /^answered 201 but the body never completed/,
      );
    });
  });

  it('trickles one byte a second: the whole-request deadline ends it', async () => {
    await against(targets.trickle, {}, (run) => {
      expectNotAudited(run, /\(timeout×\d+\)/);
      expectExchangeErrors(
        run,
        'timeout',
        /the target did not answer in time/,
        /^answered 201 but the body never completed/,
      );
      for (const ex of run.exchanges) {
        const t = ex.timings;
        expect((t.done ?? Infinity) - t.queued).toBeLessThan(3000);
      }
    });
  });

  for (const [name, start, framing] of [
    ['sends a 2 GB body', targets.twoGigabyteBody, 'content-length'],
    ['sends an endless chunked body', targets.endlessChunkedBody, 'chunked'],
  ] as const) {
    it(`${name}: read up to the cap, then dropped and marked truncated, memory flat`, async () => {
      const server = await start();
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        const run = await auditHostile({ url: server.url, bodyCap: 4096 });
        peak = Math.max(peak, process.memoryUsage().rss);
        // A 2 GB body held in memory would show as gigabytes; the cap plus socket buffers is noise.
        expect(peak - rss0).toBeLessThan(150 * 1024 * 1024);
        // The target was cut off long before the end of its body.
        expect(server.bytesWritten()).toBeLessThan(256 * 1024 * 1024);
        const answered = run.exchanges.filter((e) => e.response !== undefined);
        expect(answered.length).toBeGreaterThan(0);
        for (const ex of answered) {
          expect(ex.response?.truncated).toBe(true);
          expect(ex.response?.body.length).toBe(4096);
          expect(ex.response?.bytes).toBeGreaterThan(4096);
          if (framing === 'chunked') expect(ex.response?.headers['transfer-encoding']).toBe('chunked');
          else expect(ex.response?.headers['content-length']).toBe(String(2 * 1024 ** 3));
        }
        // A truncated body names no resource id, so no side effect can be counted from it.
        expect(run.report.findings).toEqual([]);
        expect(run.wallMs).toBeLessThan(WALL_BOUND_MS);
      } finally {
        clearInterval(sampler);
        await server.close();
      }
    });
  }

  it('sends malformed HTTP: reported as such', async () => {
    await against(targets.malformedHttp, {}, (run) => {
      expectNotAudited(run, /\(protocol×\d+\)/);
      expectExchangeErrors(run, 'protocol', /the target sent malformed HTTP/);
    });
  });

  it('resets mid-response: a reset, not a 201', async () => {
    await against(targets.resetMidResponse, {}, (run) => {
      expectNotAudited(run, /\(reset×\d+\)/);
      expectExchangeErrors(
        run,
        'reset',
        /the connection was reset by the peer/,
        /^answered 201 but the body never completed/,
      );
    });
  });

  it('closes before answering: reported as a closed connection', async () => {
    await against(targets.closesBeforeAnswering, {}, (run) => {
      expectNotAudited(run, /\(closed×\d+\)/);
      expectExchangeErrors(run, 'closed', /the connection closed before a complete answer/);
    });
  });

  it('redirects in a loop: redirects are not followed, the 307 is the answer', async () => {
    await against(targets.redirectLoop, {}, (run) => {
      expectNotAudited(run, /\(307×\d+\)/);
      const attackExchanges = run.exchanges.filter((e) => !e.attack.startsWith('observe:'));
      // One request per send: a followed redirect loop would show many more.
      expect(attackExchanges.length).toBe(run.report.requests);
      for (const ex of attackExchanges) expect(ex.response?.status).toBe(307);
    });
  });

  it('answers invalid JSON where the http observer expects JSON: not audited, never passed', async () => {
    await against(
      () => targets.brokenLedger({ contentType: 'application/json', body: '{"count": 1,' }),
      { ledger: true },
      (run) => {
        expectNotAudited(
          run,
          /^observer http: GET \/ledger\?key=[0-9a-f-]{36} did not answer with JSON \(content-type application\/json\)$/,
        );
        for (const a of run.report.attacks) expect(a.status).toBe('error');
      },
    );
  });

  it('answers 200 with a different content type: not audited, never passed', async () => {
    await against(
      () => targets.brokenLedger({ contentType: 'text/html', body: '<html><body>Sign in</body></html>' }),
      { ledger: true },
      (run) => {
        expectNotAudited(
          run,
          /^observer http: GET \/ledger\?key=[0-9a-f-]{36} did not answer with JSON \(content-type text\/html\)$/,
        );
        for (const a of run.report.attacks) expect(a.status).toBe('error');
      },
    );
  });

  it('serves TLS with a bad certificate: refused as a TLS failure', async () => {
    await against(targets.badCertificate, {}, (run) => {
      expectNotAudited(run, /\(tls×\d+\)/);
      expectExchangeErrors(run, 'tls', /TLS handshake failed \(certificate or protocol\)/);
    });
  });
});
