/**
 * `npm run bench`: B1 race exposure, B2 arrival spread, B3 throughput, B4 memory (and B5 when
 * its module exists), written to bench/results/latest.json and latest.md. Benchmarks, not tests:
 * they measure, they do not assert. BENCH_QUICK=1 runs a reduced version to check the plumbing.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arrivalSpread, MODES, raceExposure, type ExposureResult, type SpreadResult } from './sync-bench.js';
import type { TargetUrls } from './target.js';
import { throughput, type ThroughputResult } from './throughput.js';
import { recordingEngine } from './recorder.js';
import { toMarkdown } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
/** bench/results in the source tree (this file runs from dist/.bench/bench). */
const RESULTS = resolve(here, '../../../bench/results');
const QUICK = process.env['BENCH_QUICK'] === '1';

const PLAN = QUICK
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
  b1: Record<string, ExposureResult & { size: number }>;
  b2: Record<
    string,
    Record<
      string,
      {
        medianUs: number;
        sdUs: number;
        bestUs: number;
        meanUs: number;
        rangeUs: number;
        bursts: number;
        releaseMedianUs: number | undefined;
      }
    >
  >;
  b3: ThroughputResult;
  b4: { exchanges: number; peakRssMb: number; seconds: number };
  b5?: { cases: number; seconds: number; casesPerSecond: number };
  notes: string[];
}

function startTarget(): Promise<{ child: ChildProcess; urls: TargetUrls }> {
  const child = fork(join(here, 'target.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolveStart, reject) => {
    child.once('message', (m) => resolveStart({ child, urls: m as TargetUrls }));
    child.once('exit', (code) => reject(new Error(`benchmark target exited early (code ${String(code)})`)));
  });
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

const us = (ms: number): number => Math.round(ms * 1000);

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
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  const { child, urls } = await startTarget();
  const syncLog = join(os.tmpdir(), `idem-bench-sync-${process.pid}.ndjson`);
  const rec = recordingEngine(syncLog);
  try {
    const b1: BenchResults['b1'] = {};
    for (const mode of MODES) {
      b1[mode] = { size: PLAN.b1Size, ...(await raceExposure(rec.engine, urls, mode, PLAN.b1Bursts, PLAN.b1Size)) };
      log(`B1 ${mode}: ${b1[mode].exposed}/${b1[mode].bursts} bursts exposed the race`);
    }
    const b2: BenchResults['b2'] = {};
    for (const mode of MODES) {
      const perSize: BenchResults['b2'][string] = {};
      for (const size of PLAN.b2Sizes) {
        const r: SpreadResult = await arrivalSpread(rec.engine, urls, mode, PLAN.b2Bursts, size);
        if (r.incomplete > 0) {
          notes.push(
            `B2 ${mode} ×${size}: ${r.incomplete} of ${PLAN.b2Bursts} bursts left out (${r.firstProblem ?? 'unknown'})`,
          );
        }
        if (!r.arrival) {
          notes.push(`B2 ${mode} ×${size}: no complete burst reported arrival times`);
          continue;
        }
        perSize[String(size)] = {
          medianUs: us(r.arrival.median),
          sdUs: us(r.arrival.sd),
          bestUs: us(r.arrival.best),
          meanUs: us(r.arrival.mean),
          rangeUs: us(r.arrival.range),
          bursts: r.arrival.count,
          releaseMedianUs: r.release ? us(r.release.median) : undefined,
        };
        log(`B2 ${mode} ×${size}: median ${perSize[String(size)]?.medianUs} µs`);
      }
      b2[mode] = perSize;
    }
    await rec.close();
    const b3 = await throughput(urls.minimal, PLAN.b3Connections, PLAN.b3Seconds);
    log(`B3: ${b3.idemAuditRps} vs ${b3.autocannonRps} rps (ratio ${b3.ratio})`);
    const b4 = await runMemoryChild(urls.minimal, PLAN.b4Exchanges);
    log(`B4: ${b4.exchanges} exchanges, peak RSS ${b4.peakRssMb} MB`);
    const b5 = await runB5(notes);
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
      b1,
      b2,
      b3,
      b4,
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
    await rec.close();
    rmSync(syncLog, { force: true });
    child.kill();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
