/**
 * `npm run bench`: B1 race exposure, B2 arrival spread, B3 throughput, B4 memory, B5 mutation
 * rate (when its module exists), B6 demo wall time serial vs in lanes and B7 race exposure
 * serial vs in lanes, written to bench/results/latest.json and latest.md. Benchmarks, not tests:
 * they measure, they do not assert. BENCH_QUICK=1 runs a reduced version to check the plumbing.
 * B1 and B2 run over loopback and, when the bench runs as root with `ip` available, again across
 * a veth pair between two network namespaces (netns.ts).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runB6, runB7, type B6Result, type B7Result } from './demo-speed.js';
import { CLIENT_ADDRESS, createVethPair, TARGET_ADDRESS, vethUnavailable } from './netns.js';
import { syncBenchmarks, type SyncPlan, type SyncResults } from './sync-bench.js';
import type { TargetUrls } from './target.js';
import { throughput, type ThroughputResult } from './throughput.js';
import { toMarkdown } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
/** bench/results in the source tree (this file runs from dist/.bench/bench). */
const RESULTS = resolve(here, '../../../bench/results');
const QUICK = process.env['BENCH_QUICK'] === '1';
/** The veth variant must not hold the bench forever, whatever happens in the namespaces. */
const VETH_LIMIT_MS = 15 * 60_000;

const PLAN: SyncPlan & { b3Seconds: number; b3Connections: number; b4Exchanges: number } = QUICK
  ? { b1Bursts: 5, b1Size: 20, b2Bursts: 4, b2Sizes: [10, 20, 30], b3Seconds: 2, b3Connections: 32, b4Exchanges: 5_000 }
  : {
      b1Bursts: 40,
      b1Size: 20,
      b2Bursts: 15,
      b2Sizes: [10, 20, 30],
      b3Seconds: 10,
      b3Connections: 32,
      b4Exchanges: 100_000,
    };

export interface BenchResults {
  date: string;
  quick: boolean;
  machine: { cores: number; cpu: string; node: string; platform: string; totalMemMb: number };
  durationSeconds: number;
  /** 1-minute load average at the start and after each part: the host is often shared. */
  loadAverage: Record<string, number>;
  /** Over loopback. */
  b1: SyncResults['b1'];
  b2: SyncResults['b2'];
  /** The same across a veth pair between two network namespaces (absent when `veth.skipped`). */
  b1Veth?: SyncResults['b1'];
  b2Veth?: SyncResults['b2'];
  veth: { targetAddress: string; clientAddress: string } | { skipped: string };
  b3: ThroughputResult;
  b4: { exchanges: number; peakRssMb: number; seconds: number };
  b5?: { cases: number; seconds: number; casesPerSecond: number };
  /** `idem-audit demo` serially and at the default concurrency, same seed and key salt. */
  b6: B6Result;
  /** Race exposure through concurrent-burst, serially and in lanes beside busy lanes. */
  b7: B7Result;
  notes: string[];
}

/** Starts bench/target.js (through `start`, so it may run in a namespace) and waits for its URLs. */
function startTarget(start: (module: string) => ChildProcess): Promise<{ child: ChildProcess; urls: TargetUrls }> {
  const child = start(join(here, 'target.js'));
  return new Promise((resolveStart, reject) => {
    child.once('message', (m) => resolveStart({ child, urls: m as TargetUrls }));
    child.once('exit', (code) => reject(new Error(`benchmark target exited early (code ${String(code)})`)));
  });
}

/** B1 and B2 with the target in one namespace and the client in the other. */
async function vethBenchmarks(log: (s: string) => void): Promise<SyncResults> {
  const pair = createVethPair();
  let timer: NodeJS.Timeout | undefined;
  try {
    const { urls } = await startTarget((module) => pair.fork(pair.targetNs, module, [TARGET_ADDRESS]));
    log(`veth: target on ${urls.h1} in ${pair.targetNs}, client on ${CLIENT_ADDRESS} in ${pair.clientNs}`);
    const client = pair.fork(pair.clientNs, join(here, 'veth-client.js'), [JSON.stringify(urls), JSON.stringify(PLAN)]);
    return await new Promise<SyncResults>((resolveRun, reject) => {
      timer = setTimeout(() => reject(new Error(`no result within ${VETH_LIMIT_MS / 60_000} min`)), VETH_LIMIT_MS);
      client.once('message', (m) => resolveRun(m as SyncResults));
      client.once('exit', (code) => reject(new Error(`the veth client exited (code ${String(code)})`)));
    });
  } finally {
    clearTimeout(timer);
    pair.remove();
  }
}

function runMemoryChild(url: string, exchanges: number): Promise<BenchResults['b4']> {
  return new Promise((resolveRun, reject) => {
    execFile(
      process.execPath,
      [join(here, 'memory-child.js'), url, String(exchanges), '32'],
      { maxBuffer: 1 << 20 },
      (err, stdout) => {
        if (err) return reject(new Error(`the memory benchmark failed: ${err.message}`));
        const r = JSON.parse(stdout.trim()) as BenchResults['b4'];
        resolveRun({
          exchanges: r.exchanges,
          peakRssMb: Math.round(r.peakRssMb * 10) / 10,
          seconds: Math.round(r.seconds * 10) / 10,
        });
      },
    );
  });
}

async function runB5(notes: string[]): Promise<BenchResults['b5']> {
  const file = join(here, 'b5-mutation-rate.js');
  if (!existsSync(file)) {
    notes.push('B5 skipped: bench/b5-mutation-rate.ts does not exist yet.');
    return undefined;
  }
  const mod = (await import(file)) as { runB5?: () => Promise<NonNullable<BenchResults['b5']>> };
  if (typeof mod.runB5 !== 'function') {
    notes.push('B5 skipped: bench/b5-mutation-rate.ts exports no runB5().');
    return undefined;
  }
  return mod.runB5();
}

async function formatted(text: string, filepath: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(filepath)) ?? {};
    return await prettier.format(text, { ...options, filepath });
  } catch {
    return text;
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const notes: string[] = [];
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const load = (): number => Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
  const loadAverage: Record<string, number> = { start: load() };
  const { child, urls } = await startTarget((module) =>
    fork(module, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  try {
    const loopback = await syncBenchmarks(urls, PLAN, log);
    notes.push(...loopback.notes.map((n) => `loopback: ${n}`));
    loadAverage['b1b2'] = load();

    let veth: BenchResults['veth'];
    let vethResults: SyncResults | undefined;
    const unavailable = vethUnavailable();
    if (unavailable !== undefined) {
      veth = { skipped: unavailable };
      log(`veth variant skipped: ${unavailable}`);
    } else {
      try {
        vethResults = await vethBenchmarks(log);
        veth = { targetAddress: TARGET_ADDRESS, clientAddress: CLIENT_ADDRESS };
        notes.push(...vethResults.notes.map((n) => `veth: ${n}`));
      } catch (err) {
        veth = { skipped: `veth variant failed: ${err instanceof Error ? err.message : String(err)}` };
        log(veth.skipped);
      }
      loadAverage['b1b2Veth'] = load();
    }
    if ('skipped' in veth) notes.push(`B1/B2 over veth not run: ${veth.skipped}`);

    const b3 = await throughput(urls.minimal, PLAN.b3Connections, PLAN.b3Seconds);
    loadAverage['b3'] = load();
    log(`B3: ${b3.idemAuditRps} vs ${b3.autocannonRps} rps (ratio ${b3.ratio})`);
    const b4 = await runMemoryChild(urls.minimal, PLAN.b4Exchanges);
    log(`B4: ${b4.exchanges} exchanges, peak RSS ${b4.peakRssMb} MB`);
    const b5 = await runB5(notes);
    loadAverage['b4b5'] = load();
    const b6 = await runB6({ quick: QUICK, log });
    loadAverage['b6'] = load();
    const b7 = await runB7({ quick: QUICK, log });
    loadAverage['end'] = load();
    const results: BenchResults = {
      date: new Date().toISOString(),
      quick: QUICK,
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        totalMemMb: Math.round(os.totalmem() / 2 ** 20),
      },
      durationSeconds: Math.round((performance.now() - started) / 1000),
      loadAverage,
      b1: loopback.b1,
      b2: loopback.b2,
      ...(vethResults ? { b1Veth: vethResults.b1, b2Veth: vethResults.b2 } : {}),
      veth,
      b3,
      b4,
      b6,
      b7,
      notes,
    };
    if (b5) results.b5 = b5;
    mkdirSync(RESULTS, { recursive: true });
    // A quick run must never replace the real results.
    const stem = QUICK ? 'quick' : 'latest';
    const jsonPath = join(RESULTS, `${stem}.json`);
    const mdPath = join(RESULTS, `${stem}.md`);
    writeFileSync(jsonPath, await formatted(`${JSON.stringify(results, null, 2)}\n`, jsonPath));
    writeFileSync(mdPath, await formatted(toMarkdown(results), mdPath));
    process.stdout.write(toMarkdown(results));
  } finally {
    child.kill();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
