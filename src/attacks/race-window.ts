/**
 * race-window (IK-24, IK-27): how far apart two identical requests with one key may be and still
 * both execute. concurrent-burst says whether simultaneous duplicates double-write; real clients
 * retry 5, 50 or 300 ms later. Pairs (or small groups) are released on separate connections with
 * the copies held back by a controlled gap (the engine's release offsets, so a 0 ms gap is a real
 * burst of two), several rounds per gap on fresh keys, gaps interleaved round by round so load
 * drift hits every gap alike. Gaps longer than one request takes are left out: by then the first
 * has been answered, which sequential-replay covers.
 *
 * The result is a curve, duplicates per gap, kept as the `raceWindow` metric (report.json, the
 * HTML chart), and the widest gap that doubled, with the gaps really measured between the sends
 * and, where the target reports arrival times, between the arrivals. A correct target stays
 * silent at every gap.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { SYNC_MODES } from '../http/sync/mode.js';
import type { SideEffectVerdict } from '../findings/finding.js';
import type { JsonValue } from '../scenario/types.js';
import { outcomeHistogram, plural } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack } from './types.js';

/** Gaps real retry policies produce, from a racing duplicate to a quick SDK retry. */
export const DEFAULT_GAPS_MS: readonly number[] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500];

const options = z.strictObject({
  /** Gaps (ms) between the first copy's release and the others'; those longer than one request takes are left out. */
  gapsMs: z
    .array(z.number().int().min(0).max(10_000))
    .min(1)
    .max(30)
    .default([...DEFAULT_GAPS_MS]),
  /** Rounds per gap, each on a fresh key. */
  rounds: z.number().int().min(1).max(20).default(3),
  /** Requests per round: the first, then `copies - 1` released together after the gap. */
  copies: z.number().int().min(2).max(10).default(2),
  /** How the copies are released: single-packet on HTTP/2 targets, last-byte otherwise (auto). */
  sync: z.enum(SYNC_MODES).default('auto'),
  /** Longest gap to try; default: how long a first request took (measured before the rounds). */
  maxGapMs: z.number().int().min(0).max(10_000).optional(),
});

/** Measured gaps of one gap's rounds, in ms, rounded to µs (a JSON value for the metric). */
type Spread = Record<'min' | 'median' | 'max', number>;

interface GapTally {
  gapMs: number;
  judged: number;
  duplicates: number;
  /** Rounds the target refused entirely (nothing accepted, nothing written): not judged. */
  refused: number;
  clientGaps: number[];
  serverGaps: number[];
}

interface Duplicate {
  gapMs: number;
  key: string;
  clientGapMs: number | undefined;
  serverGapMs: number | undefined;
  exchanges: Exchange[];
  verdict: SideEffectVerdict;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { min: round3(sorted[0] ?? 0), median: round3(median), max: round3(sorted.at(-1) ?? 0) };
}

/** How long after the first copy the earliest other copy went out (client) and arrived (target), in ms. */
export function measuredGaps(exchanges: readonly Exchange[]): { client?: number; server?: number } {
  const [first, ...rest] = exchanges;
  const out: { client?: number; server?: number } = {};
  const sent = first?.timings.sent;
  const others = rest.flatMap((e) => (e.timings.sent === undefined ? [] : [e.timings.sent]));
  if (sent !== undefined && others.length > 0) out.client = round3(Math.min(...others) - sent);
  const arrival = first?.serverArrivalNs;
  const arrivals = rest.flatMap((e) => (e.serverArrivalNs === undefined ? [] : [BigInt(e.serverArrivalNs)]));
  if (arrival !== undefined && arrivals.length > 0) {
    const earliest = arrivals.reduce((a, b) => (b < a ? b : a));
    out.server = round3(Number(earliest - BigInt(arrival)) / 1e6);
  }
  return out;
}

function ms(n: number): string {
  return `${+n.toFixed(n < 10 ? 2 : 1)} ms`;
}

export const raceWindow = defineAttack({
  meta: {
    id: 'race-window',
    title: 'How far apart two retries can be and still both execute',
    description:
      'Releases pairs of identical requests with one key, the copy held back by a controlled gap (0 ms up to the duration of one request), several rounds per gap on fresh keys. Reports duplicates per gap and the widest gap that still executed twice.',
    sends:
      'pairs of identical requests with one key, the copy released 0, 1, 2, 5, 10, 20, 50 … ms after the first (up to one request’s duration); several rounds per gap',
    finds: '`duplicate-write` (critical), with the widest doubling gap and the duplicate rate per gap',
    options,
    timingDependent: true,
    notReplayable:
      'its findings depend on the gap between the copies, which resending them one after the other does not recreate',
    findings: {
      'duplicate-write': {
        severity: 'critical',
        title: 'A copy sent after a gap executed again',
        remediation:
          'Reserve the key atomically as the first step of the request (INSERT … ON CONFLICT DO NOTHING, SET NX) and hold the reservation until the response is stored; a lock with a TTL must outlast the slowest request.',
        references: ['IK-24', 'IK-27'],
      },
    },
  },
  async run(ctx) {
    const o = ctx.options;
    const calibration = await ctx.send(ctx.request({ label: 'duration probe', key: ctx.newKey() }));
    const done = calibration.timings.done;
    if (!isSuccess(calibration) || done === undefined) {
      ctx.inconclusive(
        `the request was not accepted (${outcomeHistogram([calibration])}), so its duration, which bounds the gaps, is unknown`,
      );
      return;
    }
    const requestMs = round3(done - (calibration.timings.sent ?? calibration.timings.queued));
    const cap = o.maxGapMs ?? requestMs;
    const all = [...new Set(o.gapsMs)].sort((a, b) => a - b);
    const gaps = all.filter((g) => g <= cap);
    const beyond = all.filter((g) => g > cap);
    const capText = o.maxGapMs === undefined ? `the first request took ${ms(requestMs)}` : `maxGapMs is ${cap}`;
    if (gaps.length === 0) {
      ctx.inconclusive(`every gap (${all.join(', ')} ms) is longer than allowed (${capText})`);
      return;
    }

    const tallies = new Map<number, GapTally>(
      gaps.map((g) => [g, { gapMs: g, judged: 0, duplicates: 0, refused: 0, clientGaps: [], serverGaps: [] }]),
    );
    const refusals: Exchange[] = [];
    let widest: Duplicate | undefined;
    let sync: string | undefined;
    for (let round = 1; round <= o.rounds; round++) {
      for (const gap of gaps) {
        if (ctx.signal.aborted) return;
        const tally = tallies.get(gap) as GapTally;
        const key = ctx.newKey();
        const specs = Array.from({ length: o.copies }, (_, i) =>
          ctx.request({ label: `gap ${gap} ms, round ${round} [${i}]`, key }),
        );
        const b = await ctx.burst(specs, { sync: o.sync, offsetsMs: specs.map((_, i) => (i === 0 ? 0 : gap)) });
        sync = b.sync;
        const effects = await countWrites(ctx, key);
        if (!b.exchanges.some(isSuccess) && effects.writes === 0) {
          tally.refused++;
          refusals.push(...b.exchanges);
          continue;
        }
        tally.judged++;
        const measured = measuredGaps(b.exchanges);
        if (measured.client !== undefined) tally.clientGaps.push(measured.client);
        if (measured.server !== undefined) tally.serverGaps.push(measured.server);
        if (effects.writes <= 1) continue;
        tally.duplicates++;
        // The widest nominal gap wins; within it, the copy that really went out latest.
        const wider =
          widest === undefined ||
          gap > widest.gapMs ||
          (gap === widest.gapMs && (measured.client ?? 0) > (widest.clientGapMs ?? 0));
        if (wider)
          widest = {
            gapMs: gap,
            key,
            clientGapMs: measured.client,
            serverGapMs: measured.server,
            exchanges: b.exchanges,
            verdict: effects.verdict(1),
          };
      }
    }

    const rows = [...tallies.values()];
    const judged = rows.reduce((n, t) => n + t.judged, 0);
    const metric: Record<string, JsonValue> = {
      sync: sync ?? o.sync,
      copies: o.copies,
      requestMs,
      maxGapMs: cap,
      gaps: rows.map((t) => ({
        gapMs: t.gapMs,
        rounds: t.judged,
        duplicates: t.duplicates,
        refused: t.refused,
        clientGapMs: spreadOf(t.clientGaps),
        serverGapMs: spreadOf(t.serverGaps),
      })),
      notTriedGapsMs: beyond,
      widestDuplicateGapMs: widest?.gapMs ?? null,
      widestDuplicateMeasured:
        widest === undefined
          ? null
          : { clientGapMs: widest.clientGapMs ?? null, serverGapMs: widest.serverGapMs ?? null },
    };
    ctx.metric('raceWindow', metric);
    if (beyond.length > 0)
      ctx.note(
        `gaps over ${ms(cap)} not tried (${beyond.join(', ')} ms): ${capText}, so a copy that late meets a finished request (sequential-replay's case)`,
      );
    if (judged === 0) {
      ctx.inconclusive(
        `the target accepted none of the pairs (${outcomeHistogram(refusals)}), so no gap could be judged`,
      );
      return;
    }
    const curve = rows.map((t) => `${t.gapMs} ms ${t.duplicates}/${t.judged}`).join(', ');
    if (widest === undefined) {
      ctx.note(`no duplicate at any gap from ${gaps[0]} to ${gaps.at(-1)} ms (duplicates/rounds: ${curve})`);
      return;
    }
    const measuredText = [
      widest.clientGapMs === undefined ? undefined : `${ms(widest.clientGapMs)} between the sends`,
      widest.serverGapMs === undefined ? undefined : `${ms(widest.serverGapMs)} between the arrivals`,
    ]
      .filter((x) => x !== undefined)
      .join(', ');
    const doubled = rows.filter((t) => t.duplicates > 0).length;
    const last = gaps.at(-1) ?? 0;
    const reach =
      widest.gapMs === last
        ? `copies released as late as ${last} ms after the first, the longest gap tried, still executed`
        : `copies released up to ${widest.gapMs} ms after the first executed again, none released later (tried up to ${last} ms)`;
    const v = widest.verdict;
    ctx.report({
      kind: 'duplicate-write',
      message: `A copy of the request with key ${widest.key} released ${widest.gapMs} ms after the first${measuredText ? ` (measured ${measuredText})` : ''} executed again: ${v.observed} side effects. ${plural(doubled, 'gap')} of ${gaps.length} wrote twice; duplicates/rounds per gap: ${curve}. One request takes about ${ms(requestMs)}; ${reach}.`,
      expected: '1 side effect per key, whatever the gap between the copies',
      observed: `duplicates at gaps up to ${widest.gapMs} ms`,
      exchanges: widest.exchanges,
      sideEffects: v,
    });
  },
});
