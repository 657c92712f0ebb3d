/**
 * B6 and B7: what the parallel lanes buy and what they must not cost.
 *
 * B6 times `idem-audit demo` (the CLI, reports and all, its target in a child process) serially
 * (`--concurrency 1`) and at the default, with the same seed and key salt, each against a fresh
 * target, and compares what the two runs concluded: the findings (by fingerprint) and the status
 * of every endpoint × attack cell. A sweep over other lane counts shows where the default sits.
 *
 * B7 measures race exposure through the audit path itself: concurrent-burst on the demo's race
 * flaw, with a 1 ms and a one-tick window, serially and in lanes while other endpoints keep the
 * remaining lanes busy with payload-mismatch traffic. Each burst's key is looked up in the
 * target's ledger afterwards: more than one write means the burst exposed the race. The lanes
 * run also counts the other lanes' requests that overlapped the race endpoint's run (there must
 * be some, or the comparison says nothing) and those that overlapped a burst (there must be none).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attacks } from '../src/attacks/index.js';
import { loadScenarioText } from '../src/config/index.js';
import { DemoSupervisor } from '../src/demo/supervisor.js';
import { DEFAULT_CONCURRENCY } from '../src/engine/prepare-run.js';
import { extensionSchemas } from '../src/engine/extension-schemas.js';
import { runAudit } from '../src/engine/run-audit.js';
import type { Exchange } from '../src/http/exchange.js';
import { observers } from '../src/observers/index.js';
import type { AuditResult } from '../src/result/result.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface DemoRun {
  concurrency: number;
  seconds: number;
  exitCode: number | null;
  findings: number;
  /** 1-minute load average when the run ended. */
  load: number;
}

export interface B6Result {
  seed: number;
  keySalt: string;
  serial: DemoRun;
  lanes: DemoRun;
  /** lanes.seconds / serial.seconds (target ≤ 0.35). */
  ratio: number;
  sameFindings: boolean;
  sameStatuses: boolean;
  /** Cells whose status differed, `endpoint/attack: serial → lanes`. */
  differences: string[];
  /** Wall time at other lane counts, for choosing the default. */
  sweep: DemoRun[];
}

export interface ExposureRun {
  bursts: number;
  exposed: number;
  seconds: number;
  /** Other lanes' requests in flight while the race endpoint ran (0 in a serial run). */
  overlappingRequests: number;
  /** Other lanes' requests in flight during a burst (must be 0). */
  requestsDuringBursts: number;
}

export interface B7Result {
  size: number;
  /** Window of the race flaw → concurrency → exposure. */
  windows: Record<string, { serial: ExposureRun; lanes: ExposureRun }>;
  lanes: number;
}

const load = (): number => Math.round((os.loadavg()[0] ?? 0) * 100) / 100;

interface Report {
  status: string;
  findings: { fingerprint: string; kind: string; endpoint: string }[];
  attacks: { endpoint: string; attack: string; status: string }[];
}

/** One `idem-audit demo` through the CLI, timed from spawn to exit. */
function demoRun(concurrency: number, seed: number, keySalt: string): Promise<{ run: DemoRun; report: Report }> {
  const out = mkdtempSync(join(os.tmpdir(), 'idem-bench-demo-'));
  const args = [join(here, 'demo-cli.js'), 'demo', '--seed', String(seed), '--key-salt', keySalt];
  args.push('--concurrency', String(concurrency), '--quiet', '--out', out);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 16 << 20, timeout: 600_000 }, (err) => {
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      try {
        const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
        // Exit 1 is the demo's verdict (flaws found), not a failure of the run.
        const exitCode = err && typeof err.code === 'number' ? err.code : err ? null : 0;
        resolve({ run: { concurrency, seconds, exitCode, findings: report.findings.length, load: load() }, report });
      } catch (readErr) {
        reject(new Error(`demo --concurrency ${concurrency} wrote no report: ${String(err ?? readErr)}`));
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  });
}

export async function runB6(o: { quick: boolean; log: (s: string) => void }): Promise<B6Result> {
  const seed = 7;
  const keySalt = 'b6';
  const serial = await demoRun(1, seed, keySalt);
  o.log(`B6 serial: ${serial.run.seconds} s, ${serial.run.findings} findings`);
  const lanes = await demoRun(DEFAULT_CONCURRENCY, seed, keySalt);
  o.log(`B6 ${DEFAULT_CONCURRENCY} lanes: ${lanes.run.seconds} s, ${lanes.run.findings} findings`);
  const fingerprints = (r: Report): string => JSON.stringify(r.findings.map((f) => f.fingerprint).sort());
  const statuses = (r: Report): Map<string, string> =>
    new Map(r.attacks.map((a) => [`${a.endpoint}/${a.attack}`, a.status]));
  const before = statuses(serial.report);
  const after = statuses(lanes.report);
  const differences = [...new Set([...before.keys(), ...after.keys()])]
    .filter((cell) => before.get(cell) !== after.get(cell))
    .map((cell) => `${cell}: ${before.get(cell) ?? 'absent'} → ${after.get(cell) ?? 'absent'}`);
  const sweep: DemoRun[] = [];
  for (const n of o.quick ? [] : [4, 6, 12]) {
    const r = await demoRun(n, seed, keySalt);
    o.log(`B6 ${n} lanes: ${r.run.seconds} s`);
    sweep.push(r.run);
  }
  return {
    seed,
    keySalt,
    serial: serial.run,
    lanes: lanes.run,
    ratio: Math.round((lanes.run.seconds / serial.run.seconds) * 1000) / 1000,
    sameFindings: fingerprints(serial.report) === fingerprints(lanes.report),
    sameStatuses: differences.length === 0,
    differences,
    sweep,
  };
}

/** Endpoints that keep the other lanes sending while the race endpoint's bursts go out. */
const BACKGROUND = [
  'correct',
  'ignore-key',
  'dedupe-by-body',
  'no-fingerprint',
  'case-fold',
  'key-truncation',
  'replay-divergent',
];

function exposureScenario(url: string, rounds: number, size: number, backgroundRuns: number): string {
  const endpoint = (name: string, attackList: string): string =>
    [
      `  ${name}:`,
      `    request: { method: POST, path: /${name}/payments, body: { amount: 1000, currency: usd, customer: cus_42 } }`,
      "    key: '{{uuid}}'",
      `    observe: [ { http: { path: '/${name}/ledger?key={{key}}', count: $.count } } ]`,
      `    attacks: ${attackList}`,
    ].join('\n');
  return [
    'version: 1',
    'name: b7-exposure',
    `target: { baseUrl: '${url}', timeout: 5s }`,
    'contract: { profile: ietf }',
    'endpoints:',
    endpoint('race', `{ concurrent-burst: { copies: ${size}, rounds: ${rounds} } }`),
    ...BACKGROUND.map((e) => endpoint(e, `{ payload-mismatch: { runs: ${backgroundRuns} } }`)),
    'settings: { maxRequests: 1000000 }',
  ].join('\n');
}

async function ledgerCount(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/race/ledger?key=${encodeURIComponent(key)}`);
  return ((await res.json()) as { count: number }).count;
}

const overlaps = (a: { from: number; to: number }, x: Exchange): boolean =>
  x.timings.queued < a.to && (x.timings.done ?? Number.POSITIVE_INFINITY) > a.from;

async function exposure(
  url: string,
  o: { rounds: number; size: number; backgroundRuns: number; concurrency: number; seed: number },
): Promise<ExposureRun> {
  const scenario = loadScenarioText(
    exposureScenario(url, o.rounds, o.size, o.backgroundRuns),
    '/bench/b7.yaml',
    extensionSchemas(),
    {},
  );
  const exchanges: Exchange[] = [];
  const started = performance.now();
  const result: AuditResult = await runAudit({
    scenario,
    attacks,
    observers,
    seed: o.seed,
    keySalt: `b7-${o.concurrency}-${o.seed}`,
    concurrency: o.concurrency,
    // Serially, the other endpoints run before or after the race endpoint and cannot overlap it.
    ...(o.concurrency === 1 ? { endpoints: ['race'] } : {}),
    onEvent: (e) => {
      if (e.type === 'exchange') exchanges.push(e.exchange);
    },
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (result.status !== 'completed') throw new Error(`B7 audit ${result.status}: ${JSON.stringify(result.errors)}`);
  const race = exchanges.filter((x) => x.endpoint === 'race');
  const others = exchanges.filter((x) => x.endpoint !== 'race');
  const span = {
    from: Math.min(...race.map((x) => x.timings.queued)),
    to: Math.max(...race.map((x) => x.timings.done ?? x.timings.queued)),
  };
  const bursts = new Map<number, Exchange[]>();
  for (const x of race) if (x.burst !== undefined) bursts.set(x.burst, [...(bursts.get(x.burst) ?? []), x]);
  let exposed = 0;
  let duringBursts = 0;
  for (const copies of bursts.values()) {
    const key = copies[0]?.key;
    if (key !== undefined && (await ledgerCount(url, key)) > 1) exposed++;
    const window = {
      from: Math.min(...copies.map((x) => x.timings.sent ?? x.timings.queued)),
      to: Math.max(...copies.map((x) => x.timings.done ?? x.timings.queued)),
    };
    duringBursts += others.filter((x) => overlaps(window, x)).length;
  }
  return {
    bursts: bursts.size,
    exposed,
    seconds,
    overlappingRequests: others.filter((x) => overlaps(span, x)).length,
    requestsDuringBursts: duringBursts,
  };
}

function sum(a: ExposureRun | undefined, b: ExposureRun): ExposureRun {
  if (!a) return b;
  return {
    bursts: a.bursts + b.bursts,
    exposed: a.exposed + b.exposed,
    seconds: Math.round((a.seconds + b.seconds) * 10) / 10,
    overlappingRequests: a.overlappingRequests + b.overlappingRequests,
    requestsDuringBursts: a.requestsDuringBursts + b.requestsDuringBursts,
  };
}

export async function runB7(o: { quick: boolean; log: (s: string) => void }): Promise<B7Result> {
  const size = 20;
  const rounds = o.quick ? 5 : 40;
  const backgroundRuns = o.quick ? 20 : 120;
  // Serial and lanes take turns, so a machine that gets busier half-way weighs on both alike.
  const turns = o.quick ? 1 : 3;
  const windows: B7Result['windows'] = {};
  for (const [name, raceWindow] of [
    ['1ms', 1],
    ['one-tick', 'one-tick'],
  ] as const) {
    // The target in its own process, as `idem-audit demo` runs it (the built child entry).
    const target = new DemoSupervisor({
      command: () => [
        process.execPath,
        join(here, '..', 'src', 'demo', 'child.js'),
        JSON.stringify({ flaws: 'race', raceWindow }),
      ],
    });
    try {
      const url = (await target.start())[0] as string;
      let serial: ExposureRun | undefined;
      let lanes: ExposureRun | undefined;
      for (let turn = 0; turn < turns; turn++) {
        const seed = 11 + turn;
        serial = sum(serial, await exposure(url, { rounds, size, backgroundRuns, concurrency: 1, seed }));
        lanes = sum(
          lanes,
          await exposure(url, { rounds, size, backgroundRuns, concurrency: DEFAULT_CONCURRENCY, seed }),
        );
      }
      if (!serial || !lanes) throw new Error('B7 ran no turn');
      o.log(
        `B7 ${name}: serial ${serial.exposed}/${serial.bursts}, ${DEFAULT_CONCURRENCY} lanes ${lanes.exposed}/${lanes.bursts} (${lanes.overlappingRequests} requests of other lanes alongside, ${lanes.requestsDuringBursts} during bursts)`,
      );
      windows[name] = { serial, lanes };
    } finally {
      await target.stop();
    }
  }
  return { size, windows, lanes: DEFAULT_CONCURRENCY };
}
