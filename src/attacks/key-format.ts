/**
 * key-format (IK-03..08): odd keys and keys that must stay distinct.
 * - Crashes: boundary keys (empty, whitespace, 255/256 characters and far beyond, non-ASCII, a
 *   tab, a list value) and fast-check-generated keys, shrunk to the smallest key that gets a 5xx.
 * - Collisions: two different keys, differing only in letter case or only after a long shared
 *   prefix (truncation), must each execute once.
 * - Header-name case: the key header spelled in lower and upper case is one key (IK-08).
 * Two header fields are sent as the one joined value `a, b`, which is what they mean on the wire.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { isSuccess, responseJson, type Exchange } from '../http/exchange.js';
import { describePlacement } from '../scenario/request-body.js';
import { isServerError, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { runProperty } from './_shared/property-runner.js';
import type { AttackContext } from './types.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** Generated keys sent after the boundary keys. */
  runs: z.number().int().min(0).max(10_000).default(20),
  /** Shrink attempts after the first crashing generated key. */
  maxShrinks: z.number().int().min(0).max(10_000).default(50),
  /** Shared prefix lengths for the truncation pairs (each key is the prefix plus 2 characters). */
  prefixLengths: z.array(z.number().int().min(1).max(8190)).default([70, 130, 250]),
});
type Options = z.infer<typeof options>;

/** Characters a client can put in a header value (RFC 9110 field-vchar, SP, HTAB, obs-text). */
const KEY_CHARS = [
  ...Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)),
  '\t',
  'é',
  'ü',
  'ÿ',
  '\u0080',
];

const keyArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...KEY_CHARS), maxLength: 24 }),
  fc.string({ unit: fc.constantFrom(...KEY_CHARS), minLength: 250, maxLength: 260 }),
  fc.integer({ min: 256, max: 8000 }).map((n) => 'k'.repeat(n)),
);

export const keyFormat = defineAttack({
  meta: {
    id: 'key-format',
    title: 'Odd keys and keys that must stay distinct',
    description:
      'Sends empty, over-long, non-ASCII and generated keys (no 5xx allowed), pairs of keys that differ only in case or after a long shared prefix (each must execute), and the key header in other letter case.',
    sends:
      'empty, long (255/256/4096), non-ASCII, tab and list keys, fast-check keys; key pairs differing in case or after a long prefix; the header name in other case (header keys)',
    finds: '`key-crash` (medium), `key-collision` (high), `key-header-case` (high)',
    options,
    timingDependent: false,
    expectedCost: (o) => ({ requests: o.runs + 3 * o.prefixLengths.length + 20 }),
    findings: {
      'key-crash': {
        severity: 'medium',
        title: 'An unusual key crashed the target',
        remediation:
          'Validate the key (length, allowed characters, a single value) before any lookup and answer 400 for an invalid one.',
        references: ['IK-03', 'IK-04', 'IK-05', 'IK-07'],
      },
      'key-collision': {
        severity: 'high',
        title: 'Two different keys were treated as one',
        remediation:
          'Store and compare the key exactly as sent: no case folding, no truncation (reject keys longer than the documented limit instead).',
        references: ['IK-04', 'IK-05'],
      },
      'key-header-case': {
        severity: 'high',
        title: 'The key was ignored when its header name had other letter case',
        remediation: 'Read the key header case-insensitively, as HTTP field names are.',
        references: ['IK-08'],
      },
    },
  },
  async run(ctx) {
    let judged = 0;
    judged += await crashes(ctx);
    judged += await collisions(ctx);
    judged += await headerCase(ctx);
    if (judged === 0) ctx.inconclusive('the target accepted no request, so no key could be judged');
  },
});

function shown(key: string): string {
  const text = JSON.stringify(key);
  return text.length <= 60 ? text : `${text.slice(0, 40)}…" (${key.length} characters)`;
}

function boundaryKeys(ctx: AttackContext<Options>): { key: string; why: string }[] {
  const fresh = (): string => ctx.newKey();
  const padded = (n: number): string => fresh().padEnd(n, 'k');
  return [
    { key: '', why: 'empty' },
    { key: '   ', why: 'whitespace only' },
    { key: padded(255), why: '255 characters' },
    { key: padded(256), why: '256 characters' },
    { key: padded(4096), why: '4096 characters' },
    { key: `${fresh()}é`, why: 'non-ASCII' },
    { key: `${fresh()}\tx`, why: 'a tab' },
    { key: `${fresh()}, ${fresh()}`, why: 'two values (as two header fields join)' },
  ];
}

/** Boundary keys, then generated ones shrunk to the smallest crashing key. Returns the number judged. */
async function crashes(ctx: AttackContext<Options>): Promise<number> {
  const o = ctx.options;
  let judged = 0;
  const crashed: Exchange[] = [];
  const whys: string[] = [];
  for (const b of boundaryKeys(ctx)) {
    const ex = await ctx.send(ctx.request({ label: `key ${b.why}`, key: b.key }));
    if (ex.response) judged++;
    if (isServerError(ex)) {
      crashed.push(ex);
      whys.push(`${b.why} ${shown(b.key)}`);
    }
  }
  let n = 0;
  const run = await runProperty(ctx, {
    arbitrary: keyArb,
    runs: o.runs,
    maxShrinks: o.maxShrinks,
    async check(key: string): Promise<Exchange | undefined> {
      const ex = await ctx.send(ctx.request({ label: `generated key[${++n}]`, key }));
      if (ex.response) judged++;
      return isServerError(ex) ? ex : undefined;
    },
  });
  if (run.counterexample) {
    const { value: key, failure: ex } = run.counterexample;
    crashed.push(ex);
    whys.push(`generated ${shown(key)} (fast-check seed ${run.seed}, path ${run.path ?? '?'}, ${run.shrinks} shrinks)`);
  }
  if (crashed.length > 0) {
    ctx.report({
      kind: 'key-crash',
      message: `${crashed.length} unusual key${crashed.length === 1 ? '' : 's'} got a server error: ${whys.join('; ')} (answers: ${outcomeHistogram(crashed)}).`,
      expected: 'a 400 for an invalid key, or a normal answer',
      observed: outcomeHistogram(crashed),
      exchanges: crashed.slice(0, 10),
    });
  }
  if (run.stopped) throw run.stopped;
  return judged;
}

interface Pair {
  label: string;
  first: string;
  second: string;
}

function collisionPairs(ctx: AttackContext<Options>): Pair[] {
  const upper = `IK-${ctx.newKey()}`.toUpperCase();
  const pairs: Pair[] = [{ label: 'letter case', first: upper, second: upper.toLowerCase() }];
  for (const length of ctx.options.prefixLengths) {
    let prefix = '';
    // A key template that renders only dashes would add nothing: fall back to a random uuid's hex digits.
    while (prefix.length < length) prefix += ctx.newKey().replace(/-/g, '') || ctx.rng.uuid().replace(/-/g, '');
    prefix = prefix.slice(0, length);
    pairs.push({ label: `shared ${length}-character prefix`, first: `${prefix}-1`, second: `${prefix}-2` });
  }
  return pairs;
}

/**
 * Each pair: the second key must execute on its own. Returns the number of pairs judged. The two
 * keys and the control act on one operation (the same charge to refund), so the only difference
 * between their requests is the key.
 */
async function collisions(ctx: AttackContext<Options>): Promise<number> {
  let judged = 0;
  for (const p of collisionPairs(ctx)) {
    const firstRequest = ctx.request({ label: `${p.label}: first key`, key: p.first });
    const operation = firstRequest.operation;
    const first = await ctx.send(firstRequest);
    // A key the target refuses (e.g. longer than its limit) cannot collide with anything.
    if (!isSuccess(first)) continue;
    const second = await ctx.send(ctx.request({ label: `${p.label}: second key`, key: p.second, operation }));
    if (!second.response) continue;
    judged++;
    const collided = await deduplicated(ctx, first, second, p.second);
    if (collided === undefined) continue;
    // The same request under an unrelated fresh key: deduplicated too, and the target matches requests
    // by their content (distinct-keys reports that), not by a folded or truncated key.
    const controlKey = ctx.newKey();
    const control = await ctx.send(
      ctx.request({ label: `${p.label}: control (unrelated key)`, key: controlKey, operation }),
    );
    if (control.response === undefined) {
      ctx.note(`${p.label}: the control request with an unrelated key got no answer; not judged`);
      continue;
    }
    if ((await deduplicated(ctx, first, control, controlKey)) !== undefined) {
      ctx.note(
        `${p.label}: the second key ${collided}, but so did an unrelated fresh key (${outcomeHistogram([control])}): the target deduplicates by content, not by the key's ${p.label}; not judged as a key collision`,
      );
      continue;
    }
    ctx.report({
      kind: 'key-collision',
      discriminator: p.label,
      message: `Keys ${shown(p.first)} and ${shown(p.second)} differ (${p.label}), yet the second ${collided}; the same request with an unrelated fresh key executed (${outcomeHistogram([control])}).`,
      expected: 'each key executes once',
      observed: collided,
      exchanges: [first, second, control],
    });
  }
  return judged;
}

/** How `later` (sent with `key`, the same request as `first`) was treated as `first`'s key, or undefined if it was not. */
async function deduplicated(
  ctx: AttackContext<Options>,
  first: Exchange,
  later: Exchange,
  key: string,
): Promise<string | undefined> {
  const res = later.response;
  if (!res) return undefined;
  if (isSuccess(later)) {
    const writes = await countWrites(ctx, key);
    const a = responseJson(first);
    const b = responseJson(later);
    const sameBody = a !== undefined && b !== undefined ? isDeepStrictEqual(a, b) : first.response?.body === res.body;
    return writes.writes === 0 || sameBody
      ? `answered ${res.status} with the first key's response, without executing`
      : undefined;
  }
  const blocked = [...ctx.contract.onMismatch, ...ctx.contract.onInFlight];
  return blocked.includes(res.status) ? `answered ${res.status}, as if it were the first key reused` : undefined;
}

/**
 * The key header as the contract spells it, twice (the key is honoured at all, so a target that
 * ignores keys is not blamed for header-name case), then in lower and in upper case: one execution.
 * Only for a key in a header: a field or parameter name has no case-insensitive reading to check.
 */
async function headerCase(ctx: AttackContext<Options>): Promise<number> {
  if (ctx.keyIn.in !== 'header') {
    ctx.note(`header-name case not probed: the key travels in ${describePlacement(ctx.keyIn)}, not in a header`);
    return 0;
  }
  const name = ctx.keyIn.name;
  const key = ctx.newKey();
  const send = (label: string, header: string): Promise<Exchange> =>
    ctx.send(ctx.request({ label, key, headers: { [header]: key } }));
  const first = await send(`header '${name}'`, name);
  if (!isSuccess(first)) return 0;
  const again = await send(`header '${name}' again`, name);
  if (!again.response || (await countWrites(ctx, key)).writes > 1) return 0;
  const sent = [first, again];
  for (const spelling of [name.toLowerCase(), name.toUpperCase()].filter((s) => s !== name)) {
    const ex = await send(`header '${spelling}'`, spelling);
    if (!ex.response) continue;
    sent.push(ex);
    const effects = await countWrites(ctx, key);
    if (effects.writes > 1) {
      ctx.report({
        kind: 'key-header-case',
        message: `The key ${shown(key)} sent twice as '${name}' executed once, then as '${spelling}' executed again (${effects.writes} side effects).`,
        expected: '1 side effect',
        observed: `${effects.writes} side effects`,
        exchanges: sent,
        sideEffects: effects.verdict(1),
      });
      break;
    }
  }
  return 1;
}
