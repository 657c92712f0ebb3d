/**
 * ttl-probe (IK-36..38): replays after growing delays up to the TTL the contract declares. A
 * target that forgets the key before then executes a retry it promised to deduplicate. The
 * schedule is geometric (the early replays locate a short window cheaply) and its last replay
 * lands just inside the declared TTL; the whole wait is bounded by --max-wait.
 *
 * A TTL longer than the run may wait (Stripe's 24 h, the usual case) is checked across runs
 * instead: keys are planted now, each replayed at once, and report.json keeps one pending check
 * per key with the time it falls due (`checksAt` of the TTL). `idem-audit verify` runs this
 * attack again later with those checks (`ctx.deferred`): it replays the keys that are due and
 * judges them by the same rule, and defers the rest again. Each check has a key of its own, so a
 * store that extends a key's life when it is read cannot hide a short retention behind an earlier
 * check's replay.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import type { PendingCheck } from '../findings/pending-check.js';
import type { JsonValue } from '../scenario/types.js';
import { outcomeHistogram, plural } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack, type AttackContext } from './types.js';

const DEFAULT_MAX_WAIT_MS = 60_000;

const options = z.strictObject({
  /** Delay of the first replay after the original answered; each next one doubles it. */
  firstDelayMs: z.number().int().min(10).max(3_600_000).default(250),
  /** The last replay's position, as a fraction of the declared TTL (a margin for clocks and latency). */
  lastAt: z.number().min(0.5).max(0.99).default(0.9),
  /** Used when the run sets no --max-wait. */
  maxWaitMs: z
    .number()
    .int()
    .min(0)
    .max(24 * 3_600_000)
    .default(DEFAULT_MAX_WAIT_MS),
  /** A TTL longer than the run may wait: plant keys now and leave their checks for `idem-audit verify`. */
  plant: z.boolean().default(true),
  /** The ages, as fractions of the declared TTL, at which planted keys are checked (one key each). */
  checksAt: z.array(z.number().min(0.05).max(0.99)).min(1).max(10).default([0.5, 0.9]),
});
type Options = z.output<typeof options>;

/** Delays (ms after the original's answer) at which to replay: geometric, ending just inside the TTL. */
export function ttlSchedule(ttlMs: number, firstDelayMs: number, lastAt: number): number[] {
  const last = Math.floor(ttlMs * lastAt);
  const out: number[] = [];
  for (let d = firstDelayMs; d < last; d *= 2) out.push(d);
  out.push(last);
  return out;
}

/** What a planted key's check needs, kept in report.json (no secret: keys are not credentials). */
interface RetentionCheck {
  key: string;
  /** The TTL the contract declared when the key was planted, in ms. */
  ttlMs: number;
  /** The age at which the key is checked, in ms after its first answer. */
  ageMs: number;
  /** When the first request was answered (ISO). */
  plantedAt: string;
}

function retentionCheck(data: JsonValue): RetentionCheck | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const { key, ttlMs, ageMs, plantedAt } = data;
  if (typeof key !== 'string' || typeof ttlMs !== 'number' || typeof ageMs !== 'number') return undefined;
  if (typeof plantedAt !== 'string' || Number.isNaN(Date.parse(plantedAt))) return undefined;
  return { key, ttlMs, ageMs, plantedAt };
}

export const ttlProbe = defineAttack({
  meta: {
    id: 'ttl-probe',
    title: 'Keys are remembered for the declared TTL',
    description:
      'Replays the request after growing delays up to the contract’s ttl. A retry within the TTL must be deduplicated; the report gives the measured retention window. A TTL longer than the run may wait is checked across runs: keys planted now, replayed by `idem-audit verify` when due.',
    sends:
      'replays after doubling delays up to the declared `ttl` (bounded by `--max-wait`, default 60 s); beyond it, keys planted now and replayed by a later `idem-audit verify` at half and 0.9 of the TTL',
    finds: '`ttl-too-short` (high), with the measured retention window',
    options,
    timingDependent: false,
    expectedCost: (o, env) => {
      const waits = ttlSchedule(env.contract.ttlMs, o.firstDelayMs, o.lastAt);
      const total = waits[waits.length - 1] ?? 0;
      // Beyond the allowed wait it skips at once.
      return total > (env.maxWaitMs ?? o.maxWaitMs) ? { requests: 0 } : { requests: 2 * waits.length, waitMs: total };
    },
    notReplayable: 'its findings depend on waiting between the requests for the key to age',
    findings: {
      'ttl-too-short': {
        severity: 'high',
        title: 'The key was forgotten before the declared TTL',
        remediation:
          'Keep keys (and their stored responses) at least as long as documented, and make sure eviction (cache size, Redis maxmemory, cleanup jobs) cannot drop them earlier; or document the real TTL.',
        references: ['IK-36', 'IK-37', 'IK-38'],
      },
    },
  },
  async run(ctx: AttackContext<Options>) {
    if (ctx.deferred !== undefined) return verifyChecks(ctx, ctx.deferred);
    const o = ctx.options;
    const ttl = ctx.contract.ttlMs;
    const maxWait = ctx.maxWaitMs ?? o.maxWaitMs;
    const schedule = ttlSchedule(ttl, o.firstDelayMs, o.lastAt);
    const total = schedule[schedule.length - 1] ?? 0;
    if (total <= maxWait) return probeNow(ctx, schedule);
    if (o.plant) return plantChecks(ctx);
    ctx.skip(
      `the declared TTL (${seconds(ttl)}) needs about ${seconds(total)} of waiting, more than the allowed ${seconds(maxWait)}; raise --max-wait to probe it, or set plant: true to check it with idem-audit verify`,
    );
  },
});

/** The whole schedule within this run, on one key. */
async function probeNow(ctx: AttackContext<Options>, schedule: readonly number[]): Promise<void> {
  const ttl = ctx.contract.ttlMs;
  const key = ctx.newKey();
  const first = await ctx.send(ctx.request({ label: 'first', key }));
  if (!isSuccess(first)) {
    ctx.inconclusive(`the first request was not accepted (${outcomeHistogram([first])}), so there is no key to keep`);
    return;
  }
  const start = Date.now();
  const sent: Exchange[] = [first];
  let remembered = 0;
  for (const delay of schedule) {
    await ctx.sleep(Math.max(0, start + delay - Date.now()));
    if (ctx.signal.aborted) return;
    const replay = await ctx.send(ctx.request({ label: `replay after ${seconds(delay)}`, key }));
    sent.push(replay);
    if (replay.response === undefined) {
      ctx.note(`replay after ${seconds(delay)} got no answer (${outcomeHistogram([replay])}); not judged`);
      continue;
    }
    const effects = await countWrites(ctx, key);
    if (effects.writes > 1) {
      ctx.report({
        kind: 'ttl-too-short',
        message: `The key ${key} was deduplicated ${remembered > 0 ? `${seconds(remembered)} after the first answer` : 'at no replay'}, but a replay ${seconds(delay)} after it executed again (${effects.writes} side effects), although the contract promises ${seconds(ttl)}. Measured retention: ${retention(remembered, delay)}.`,
        expected: `deduplicated for ${seconds(ttl)}`,
        observed: `forgotten within ${seconds(delay)}`,
        exchanges: sent,
        sideEffects: effects.verdict(1),
      });
      return;
    }
    // Only a successful replay shows the key was remembered; an error says nothing about retention.
    if (isSuccess(replay)) remembered = delay;
    else
      ctx.note(`replay after ${seconds(delay)} was answered ${outcomeHistogram([replay])}; not counted as remembered`);
  }
  if (remembered > 0) ctx.note(`the key was still deduplicated ${seconds(remembered)} after the first answer`);
  else ctx.inconclusive('no replay was answered successfully, so retention could not be measured');
}

/**
 * One key per check age, each sent and replayed at once (a key the target forgets at once is a
 * finding now, not a check for later), then a pending check per key for `idem-audit verify`.
 */
async function plantChecks(ctx: AttackContext<Options>): Promise<void> {
  const ttl = ctx.contract.ttlMs;
  const ages = [...new Set(ctx.options.checksAt)].sort((a, b) => a - b).map((f) => Math.floor(f * ttl));
  const planted: { key: string; ageMs: number; plantedAt: number; exchanges: Exchange[] }[] = [];
  const refused: Exchange[] = [];
  for (const ageMs of ages) {
    if (ctx.signal.aborted) return;
    const key = ctx.newKey();
    const label = `planted for ${seconds(ageMs)}`;
    const first = await ctx.send(ctx.request({ label, key }));
    const plantedAt = Date.now();
    if (!isSuccess(first)) {
      refused.push(first);
      continue;
    }
    const replay = await ctx.send(ctx.request({ label: `${label}, replayed at once`, key }));
    if (replay.response === undefined) {
      ctx.note(`the immediate replay of the key planted for ${seconds(ageMs)} got no answer; not planted`);
      continue;
    }
    const effects = await countWrites(ctx, key);
    if (effects.writes > 1) {
      ctx.report({
        kind: 'ttl-too-short',
        message: `The key ${key} was not deduplicated even when replayed right after its first answer (${effects.writes} side effects), although the contract promises ${seconds(ttl)}. Measured retention: none.`,
        expected: `deduplicated for ${seconds(ttl)}`,
        observed: 'forgotten at once',
        exchanges: [first, replay],
        sideEffects: effects.verdict(1),
      });
      return;
    }
    if (!isSuccess(replay)) {
      ctx.note(
        `the immediate replay of the key planted for ${seconds(ageMs)} was answered ${outcomeHistogram([replay])}; not planted`,
      );
      continue;
    }
    planted.push({ key, ageMs, plantedAt, exchanges: [first, replay] });
  }
  if (planted.length === 0) {
    ctx.inconclusive(
      refused.length > 0
        ? `no planted request was accepted (${outcomeHistogram(refused)}), so there is no key to keep`
        : 'no planted key was deduplicated on its immediate replay, so there is no key to check later',
    );
    return;
  }
  for (const p of planted) {
    const check: RetentionCheck = {
      key: p.key,
      ttlMs: ttl,
      ageMs: p.ageMs,
      plantedAt: iso(p.plantedAt),
    };
    ctx.defer({
      id: `ttl-${p.ageMs}`,
      dueAt: iso(p.plantedAt + p.ageMs),
      description: `replay key ${p.key} ${seconds(p.ageMs)} after it was planted (the declared TTL is ${seconds(ttl)})`,
      exchanges: p.exchanges,
      data: { ...check },
    });
  }
  const lastDue = Math.max(...planted.map((p) => p.plantedAt + p.ageMs));
  const expiry = Math.min(...planted.map((p) => p.plantedAt + ttl));
  const lastAge = Math.max(...planted.map((p) => p.ageMs));
  // The same words on every endpoint with this TTL, so reports can group them; the times go in a note.
  ctx.note(`verify between ${iso(lastDue)} and ${iso(expiry)} to judge every planted key`);
  ctx.skip(
    `pending: ${plural(planted.length, 'retention check')} planted for idem-audit verify (keys replayed ${planted.map((p) => seconds(p.ageMs)).join(' and ')} after planting; the declared TTL, ${seconds(ttl)}, is longer than the run may wait): verify this report ${seconds(lastAge)} to ${seconds(ttl)} after the run`,
  );
}

/** Under `idem-audit verify`: the checks that are due are judged, the others deferred again. */
async function verifyChecks(ctx: AttackContext<Options>, checks: readonly PendingCheck[]): Promise<void> {
  const queue = [...checks].sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
  let remembered = 0;
  let judged = 0;
  /** Why due checks were not judged, in a word each (for the reason), and in full (for the notes). */
  const unjudged: { why: string; note: string }[] = [];
  /** The check being replayed: a stop or an error before it is judged leaves it pending. */
  let current: PendingCheck | undefined;
  try {
    while (queue.length > 0) {
      const check = queue[0] as PendingCheck;
      const c = retentionCheck(check.data);
      if (c === undefined) {
        queue.shift();
        unjudged.push({
          why: 'not written by ttl-probe',
          note: `check ${check.id} is not one ttl-probe wrote; dropped`,
        });
        continue;
      }
      const now = Date.now();
      if (now < Date.parse(check.dueAt) || ctx.signal.aborted) break;
      queue.shift();
      const age = now - Date.parse(c.plantedAt);
      if (age >= c.ttlMs) {
        unjudged.push({
          why: 'verified too late',
          note: `the key planted for ${seconds(c.ageMs)} is ${seconds(age)} old, past the declared TTL (${seconds(c.ttlMs)}): too late to judge (verify between its due time and ${iso(Date.parse(c.plantedAt) + c.ttlMs)})`,
        });
        continue;
      }
      current = check;
      const replay = await ctx.send(ctx.request({ label: `replay ${seconds(age)} after planting`, key: c.key }));
      if (replay.response === undefined) {
        // Nothing was judged: the check stays for the next verify.
        current = undefined;
        ctx.defer(check);
        unjudged.push({
          why: 'not answered',
          note: `the replay of the key planted for ${seconds(c.ageMs)} got no answer (${outcomeHistogram([replay])}); still pending`,
        });
        continue;
      }
      const effects = await countWrites(ctx, c.key);
      current = undefined;
      if (effects.writes > 1) {
        judged++;
        // The promise is broken: older keys cannot narrow it, so the rest are not checked (one finding per cell).
        if (queue.length > 0)
          ctx.note(
            `${plural(queue.length, 'other retention check')} dropped: the key was forgotten by ${seconds(age)}`,
          );
        queue.length = 0;
        ctx.report({
          kind: 'ttl-too-short',
          message: `The key ${c.key} was deduplicated right after it was planted (${c.plantedAt}), but a replay ${seconds(age)} after it executed again (${effects.writes} side effects), although the contract promises ${seconds(c.ttlMs)}. Measured retention: ${retention(remembered, age)}.`,
          expected: `deduplicated for ${seconds(c.ttlMs)}`,
          observed: `forgotten within ${seconds(age)}`,
          exchanges: [...check.exchanges, replay],
          sideEffects: effects.verdict(1),
        });
      } else if (isSuccess(replay)) {
        judged++;
        remembered = Math.max(remembered, age);
        ctx.note(`the key planted for ${seconds(c.ageMs)} was still deduplicated ${seconds(age)} after planting`);
      } else {
        unjudged.push({
          why: `answered ${outcomeHistogram([replay])}`,
          note: `the replay of the key planted for ${seconds(c.ageMs)} was answered ${outcomeHistogram([replay])}; not counted as remembered`,
        });
      }
    }
  } finally {
    // Whatever stopped the loop (not due yet, a stop, an error), what is left stays pending.
    for (const check of current === undefined ? queue : [current, ...queue]) ctx.defer(check);
  }
  for (const u of unjudged) ctx.note(u.note);
  if (judged > 0) return;
  const next = queue[0];
  if (next !== undefined)
    ctx.skip(
      `pending: ${plural(queue.length, 'retention check')}, the next due at ${next.dueAt} (in ${seconds(Math.max(0, Date.parse(next.dueAt) - Date.now()))})`,
    );
  else {
    const whys = new Map<string, number>();
    for (const u of unjudged) whys.set(u.why, (whys.get(u.why) ?? 0) + 1);
    const summary = [...whys].map(([why, n]) => `${n} ${why}`).join(', ');
    ctx.inconclusive(`no retention check could be judged (${summary || 'none was left'}); the notes say why`);
  }
}

function retention(remembered: number, forgottenBy: number): string {
  return remembered > 0
    ? `between ${seconds(remembered)} and ${seconds(forgottenBy)}`
    : `under ${seconds(forgottenBy)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function seconds(ms: number): string {
  return ms >= 3_600_000
    ? `${+(ms / 3_600_000).toFixed(2)} h`
    : ms >= 1000
      ? `${+(ms / 1000).toFixed(2)} s`
      : `${Math.round(ms)} ms`;
}
