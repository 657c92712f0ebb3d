/**
 * equivalent-payload (IK-19, IK-20): the same key with the same request written differently:
 * JSON members reordered, other whitespace, other volatile headers, and (informational) numbers
 * spelled differently. A correct target replays; rejecting is a false mismatch, executing is a
 * duplicate write.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import type { JsonValue } from '../scenario/types.js';
import { hasStatus, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { jsonValueOf } from '../scenario/request-body.js';
import { defineAttack } from './types.js';

const VARIANTS = ['reordered', 'whitespace', 'volatile-headers', 'numbers'] as const;
type Variant = (typeof VARIANTS)[number];

const options = z.strictObject({
  variants: z
    .array(z.enum(VARIANTS))
    .min(1)
    .default([...VARIANTS]),
  /** How often an in-flight answer is retried before it counts (the original already completed). */
  inFlightRetries: z.number().int().min(0).max(20).default(3),
});

/** Object members in reverse order, recursively: the same JSON value, other bytes. */
function reordered(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(reordered);
  if (v !== null && typeof v === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const k of Object.keys(v).reverse()) {
      const child = v[k];
      if (child !== undefined) out[k] = reordered(child);
    }
    return out;
  }
  return v;
}

/** JSON with every integer written as a decimal (`1000` → `1000.0`): equal numbers, other text. */
function decimalNumbers(v: JsonValue): string {
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}.0` : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(decimalNumbers).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v)
      .map(([k, c]) => `${JSON.stringify(k)}:${decimalNumbers(c)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

interface Rewrite {
  rawBody?: string;
  headers?: Record<string, string>;
  describe: string;
}

function rewrite(variant: Variant, body: JsonValue | undefined, n: number): Rewrite | undefined {
  switch (variant) {
    case 'reordered': {
      if (body === undefined) return undefined;
      const text = JSON.stringify(reordered(body));
      return text === JSON.stringify(body) ? undefined : { rawBody: text, describe: 'JSON members reordered' };
    }
    case 'whitespace':
      return body === undefined
        ? undefined
        : { rawBody: `${JSON.stringify(body, null, 2)}\n`, describe: 'indented JSON with a trailing newline' };
    case 'volatile-headers':
      return {
        headers: {
          'user-agent': `idem-audit-retry/${n}`,
          'x-request-id': `idem-audit-${n}`,
          traceparent: `00-${'0'.repeat(31)}${n % 10}-${'0'.repeat(15)}1-01`,
        },
        describe: 'other User-Agent, X-Request-Id and traceparent',
      };
    case 'numbers': {
      if (body === undefined) return undefined;
      const text = decimalNumbers(body);
      return text === JSON.stringify(body) ? undefined : { rawBody: text, describe: 'integers written as decimals' };
    }
  }
}

export const equivalentPayload = defineAttack({
  meta: {
    id: 'equivalent-payload',
    title: 'The same request written differently',
    description:
      'Reuses a key with the same JSON reordered or re-indented, and with other volatile headers. A correct target compares the meaning, not the bytes, and replays.',
    sends:
      'the same key with the JSON reordered, re-indented, other volatile headers; integers as decimals (informational)',
    finds: '`false-mismatch` (low), `duplicate-write`',
    options,
    timingDependent: false,
    findings: {
      'false-mismatch': {
        severity: 'low',
        title: 'An equivalent retry was rejected as a mismatch',
        remediation:
          'Fingerprint the parsed, canonicalised body (sorted keys, no insignificant whitespace) and leave volatile headers out, so retries from another serializer replay.',
        references: ['IK-19', 'IK-20'],
      },
      'duplicate-write': {
        severity: 'critical',
        title: 'An equivalent retry executed again',
        remediation:
          'Key the idempotency record by the Idempotency-Key, never by a hash of the raw request (headers or bytes), so a retry finds it.',
        references: ['IK-19', 'IK-20'],
      },
    },
  },
  async run(ctx) {
    const o = ctx.options;
    let judged = 0;
    let n = 0;
    for (const variant of o.variants) {
      n++;
      const change = rewrite(variant, jsonValueOf(ctx.endpoint.request.body), n);
      if (!change) continue;
      const key = ctx.newKey();
      const original = await ctx.send(ctx.request({ label: `${variant} original`, key }));
      if (!isSuccess(original)) continue;
      const spec = (label: string): ReturnType<typeof ctx.request> =>
        ctx.request({
          label,
          key,
          ...(change.rawBody !== undefined ? { rawBody: change.rawBody } : {}),
          ...(change.headers !== undefined ? { headers: change.headers } : {}),
        });
      let retry: Exchange = await ctx.send(spec(`${variant} retry`));
      for (let r = 0; r < o.inFlightRetries && hasStatus(retry, ctx.contract.onInFlight); r++) {
        await ctx.sleep(Math.min(2000, 100 * 2 ** r));
        retry = await ctx.send(spec(`${variant} retry ${r + 1}`));
      }
      if (!retry.response) continue;
      judged++;
      const effects = await countWrites(ctx, key);
      const exchanges = [original, retry];
      if (effects.writes > 1) {
        ctx.report({
          kind: 'duplicate-write',
          discriminator: variant,
          message: `A retry of key ${key} with ${change.describe} executed again (${effects.writes} side effects; answers: ${outcomeHistogram(exchanges)}).`,
          expected: '1 side effect, the stored response replayed',
          observed: `${effects.writes} side effects`,
          exchanges,
          sideEffects: effects.verdict(1),
        });
      } else if (!isSuccess(retry)) {
        const text = `A retry of key ${key} with ${change.describe} was answered ${retry.response.status} instead of the replay.`;
        // Number spelling is a gray zone (1000 and 1000.0 are one JSON number, not always one API value).
        if (variant === 'numbers') ctx.note(`${text} (informational: numbers written differently)`);
        else {
          ctx.report({
            kind: 'false-mismatch',
            discriminator: variant,
            message: text,
            expected: `the stored ${original.response?.status} replayed`,
            observed: outcomeHistogram([retry]),
            exchanges,
          });
        }
      }
    }
    if (judged === 0)
      ctx.inconclusive('no original request was accepted (or nothing could be rewritten), so nothing was judged');
  },
});
