/**
 * equivalent-payload (IK-19, IK-20): the same key with the same request written differently:
 * JSON members reordered, other whitespace, (informational) numbers spelled differently; form
 * fields reordered, spaces as `%20` instead of `+`, lower-case percent-escapes; other volatile
 * headers. A correct target replays; rejecting is a false mismatch, executing is a duplicate
 * write. A text body has no rewrite that means the same to every target: only its headers vary.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { encodeForm, encodeFormComponent, setJsonField } from '../scenario/request-body.js';
import type { JsonValue, KeyPlacement, RequestBody } from '../scenario/types.js';
import { hasStatus, outcomeHistogram } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack } from './types.js';

const VARIANTS = ['reordered', 'whitespace', 'volatile-headers', 'numbers', 'escapes'] as const;
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
  /** The retry's bytes, from the body as sent (templates rendered, the key in place). */
  bodyText?: (rendered: RequestBody) => string;
  headers?: Record<string, string>;
  describe: string;
}

const json = (f: (v: JsonValue) => string) => (r: RequestBody) => (r.kind === 'json' ? f(r.value) : '');
const form = (f: (fields: RequestBody & { kind: 'form' }) => string) => (r: RequestBody) =>
  r.kind === 'form' ? f(r) : '';

/** Placeholders taken out: what the template's own text shows about the body as sent. */
const literal = (s: string): string => s.replace(/\{\{[^}]*\}\}/g, '');

/**
 * How the variant rewrites this body, or undefined when it cannot change its bytes (nothing to
 * reorder, no space to encode otherwise, a text body). Decided on the template, with the key in
 * its field when it travels in the body.
 */
function rewrite(variant: Variant, body: RequestBody | undefined, keyIn: KeyPlacement, n: number): Rewrite | undefined {
  if (variant === 'volatile-headers')
    return {
      headers: {
        'user-agent': `idem-audit-retry/${n}`,
        'x-request-id': `idem-audit-${n}`,
        traceparent: `00-${'0'.repeat(31)}${n % 10}-${'0'.repeat(15)}1-01`,
      },
      describe: 'other User-Agent, X-Request-Id and traceparent',
    };
  if (body?.kind === 'json') {
    const value = keyIn.in === 'body' ? setJsonField(body.value, keyIn.path, 'k') : body.value;
    switch (variant) {
      case 'reordered':
        return JSON.stringify(reordered(value)) === JSON.stringify(value)
          ? undefined
          : { bodyText: json((v) => JSON.stringify(reordered(v))), describe: 'JSON members reordered' };
      case 'whitespace':
        return {
          bodyText: json((v) => `${JSON.stringify(v, null, 2)}\n`),
          describe: 'indented JSON with a trailing newline',
        };
      case 'numbers':
        return decimalNumbers(value) === JSON.stringify(value)
          ? undefined
          : { bodyText: json(decimalNumbers), describe: 'integers written as decimals' };
      case 'escapes':
        return undefined;
    }
  }
  if (body?.kind === 'form') {
    const fields = body.fields.length + (keyIn.in === 'form' && !body.fields.some(([k]) => k === keyIn.name) ? 1 : 0);
    switch (variant) {
      case 'reordered':
        return fields < 2
          ? undefined
          : { bodyText: form((f) => encodeForm([...f.fields].reverse())), describe: 'form fields in reverse order' };
      case 'whitespace':
        return body.fields.some(([, v]) => literal(v).includes(' '))
          ? {
              bodyText: form((f) => encodeForm(f.fields).replace(/\+/g, '%20')),
              describe: 'spaces encoded as %20, not +',
            }
          : undefined;
      case 'escapes':
        return body.fields.some(([k, v]) =>
          /%[0-9A-F]?[A-F]/.test(encodeFormComponent(literal(k)) + encodeFormComponent(literal(v))),
        )
          ? {
              bodyText: form((f) => encodeForm(f.fields).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())),
              describe: 'percent-escapes in lower case',
            }
          : undefined;
      case 'numbers':
        // Form values are text: `1000` and `1000.0` are two values, not two spellings of one.
        return undefined;
    }
  }
  return undefined;
}

export const equivalentPayload = defineAttack({
  meta: {
    id: 'equivalent-payload',
    title: 'The same request written differently',
    description:
      'Reuses a key with the same request written differently: JSON reordered or re-indented, form fields reordered or encoded otherwise, other volatile headers. A correct target compares the meaning, not the bytes, and replays.',
    sends:
      'the same key with the JSON reordered or re-indented (a form: fields reordered, `%20` for `+`, lower-case escapes), other volatile headers; integers as decimals (informational)',
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
    const body = ctx.endpoint.request.body;
    if (body?.kind === 'text' && o.variants.some((v) => v !== 'volatile-headers'))
      ctx.note('a text body has no rewrite that is the same request for every target: its bytes were not varied');
    for (const variant of o.variants) {
      n++;
      const change = rewrite(variant, body, ctx.keyIn, n);
      if (!change) continue;
      const key = ctx.newKey();
      const original = await ctx.send(ctx.request({ label: `${variant} original`, key }));
      if (!isSuccess(original)) continue;
      const spec = (label: string): ReturnType<typeof ctx.request> =>
        ctx.request({
          label,
          key,
          ...(change.bodyText !== undefined ? { bodyText: change.bodyText } : {}),
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
