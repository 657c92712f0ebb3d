/**
 * The scenario format as one zod schema, built per run from the attack and observer registries
 * so that their option schemas are validated (and documented in the JSON Schema) in place.
 * Every object is strict: an unknown key is far more often a typo than an extension.
 */
import { z } from 'zod';
import { SEVERITIES } from '../scenario/severity.js';
import { HOOK_NAMES } from '../scenario/types.js';
import { KEY_VARIABLES, PER_OPERATION_VARIABLES, REQUEST_VARIABLES, templateField } from '../scenario/template.js';
import { DURATION_EXAMPLES, DURATION_PATTERN, parseDuration } from './durations.js';
import { PROFILE_NAMES } from './profiles.js';
import { didYouMean } from './suggest.js';

export interface ExtensionSchemas {
  /** attack id -> options schema. In YAML the value may be null / omitted / {} -> parse as {} so defaults apply. */
  attacks: Readonly<Record<string, z.ZodType>>;
  /** observer id -> options schema (the value of the single key of an `observe` list item). */
  observers: Readonly<Record<string, z.ZodType>>;
  /** attack ids used when an endpoint has no `attacks` block, in this order. */
  defaultSuite: readonly string[];
}

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const VARY_KINDS = ['integer', 'number', 'string', 'boolean'] as const;

const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const PRINCIPAL = /^[A-Za-z0-9_-]+$/;
/** RFC 9110 token; `*` is a token character, which lets header patterns use it as a wildcard. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

const quote = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v)));

const slug = (what: string) =>
  z.string().regex(NAME, {
    error: (iss) =>
      `${what} ${quote(iss.input)} must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`,
  });

const headerName = z
  .string()
  .regex(TOKEN, { error: (iss) => `${quote(iss.input)} is not a valid HTTP header name` })
  .meta({ description: 'HTTP header name' });

// Header values are rendered as templates for every request, whichever map they come from.
const headerMap = z.record(
  headerName,
  templateField(
    { variables: REQUEST_VARIABLES, what: 'a header value' },
    z.string().regex(/^[^\r\n]*$/, { error: 'header values cannot contain line breaks' }),
  ),
);

const httpUrl = z
  .string()
  .refine(isHttpUrl, { error: (iss) => `${quote(iss.input)} is not an http:// or https:// URL` })
  .meta({ format: 'uri' });

/**
 * Where requests go. No user:password@: the URL is printed, recorded in every exchange and put
 * into curl lines, so credentials belong in headers, which are redacted.
 */
const targetUrl = httpUrl.refine(
  (s) => !URL.canParse(s) || (new URL(s).username === '' && new URL(s).password === ''),
  {
    error: 'credentials in the URL (user:password@) would be printed and recorded with it',
    params: { hint: 'send them as a header instead, e.g. target.headers: { Authorization: "Basic ${TOKEN}" }' },
  },
);

const statusCode = z
  .number()
  .int({ error: 'HTTP status codes are whole numbers' })
  .min(100, { error: 'HTTP status codes are 100..599' })
  .max(599, { error: 'HTTP status codes are 100..599' });

function isHttpUrl(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const { protocol, hostname } = new URL(s);
  return (protocol === 'http:' || protocol === 'https:') && hostname !== '';
}

/** A duration in ms: a number, or a string such as `500ms`, `5s`, `1h30m`. */
function duration(opts: { max?: number; maxText?: string } = {}) {
  return z
    .union([z.number(), z.string().meta({ pattern: DURATION_PATTERN })], {
      error: `expected a duration (${DURATION_EXAMPLES}, or a number of milliseconds)`,
    })
    .meta({
      description: `duration: milliseconds, or e.g. 500ms, 5s, 1h30m${opts.maxText ? `; at most ${opts.maxText}` : ''}`,
    })
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', input: v, message: `invalid duration ${quote(v)} (${DURATION_EXAMPLES})` });
        return z.NEVER;
      }
      if (ms <= 0) {
        ctx.issues.push({ code: 'custom', input: v, message: 'duration must be greater than 0' });
        return z.NEVER;
      }
      if (opts.max !== undefined && ms > opts.max) {
        ctx.issues.push({ code: 'custom', input: v, message: `duration must be at most ${opts.maxText ?? opts.max}` });
        return z.NEVER;
      }
      return ms;
    });
}

/** Options schemas whose YAML value may be null; toJSONSchema is told so via `override`. */
type NullableOptions = WeakSet<z.core.$ZodType>;

export function buildScenarioSchema(ext: ExtensionSchemas, nullableOptions: NullableOptions = new WeakSet()) {
  const attackShape: Record<string, z.ZodOptional<z.ZodType>> = {};
  for (const [id, options] of Object.entries(ext.attacks)) {
    // `missing-key:` (null) means "defaults", the same as `missing-key: {}`.
    const wrapped = z.preprocess((v) => v ?? {}, options);
    nullableOptions.add(wrapped);
    attackShape[id] = wrapped.optional();
  }
  const observerShape: Record<string, z.ZodOptional<z.ZodType>> = {};
  for (const [id, options] of Object.entries(ext.observers)) observerShape[id] = options.optional();

  // Key counts are checked on the raw mapping: after parsing, unknown keys are already gone and
  // would make `- htp: {}` look like an empty item as well as an unknown observer.
  const observeItem = z.preprocess(
    (item, ctx) => {
      const ids = isPlainObject(item) ? Object.keys(item) : undefined;
      if (ids && ids.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          input: item,
          message:
            ids.length === 0
              ? 'an observe item must name one observer'
              : `an observe item names exactly one observer, found ${ids.length}: ${ids.join(', ')}`,
          params: { hint: 'write each observer as its own list item: `- responseId: $.id`' },
        });
      }
      return item;
    },
    z
      .strictObject(observerShape)
      .meta({ minProperties: 1, maxProperties: 1, description: 'one observer: `<observer id>: <options>`' }),
  );

  const attacks = z.preprocess(
    (value, ctx) => {
      if (isPlainObject(value) && Object.keys(value).length === 0) {
        ctx.addIssue({
          code: 'custom',
          input: value,
          message: 'attacks is empty',
          params: { hint: 'name at least one attack, or omit `attacks` to run the default suite' },
        });
      }
      return value;
    },
    z
      .strictObject(attackShape)
      .meta({ minProperties: 1, description: `attack id -> options; omitted: ${ext.defaultSuite.join(', ')}` }),
  );

  const request = z.strictObject({
    method: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(METHODS)).default('POST'),
    // A regex rather than startsWith: the latter emits `format: starts_with`, which strict
    // JSON Schema validators reject as an unknown format.
    path: templateField(
      { variables: REQUEST_VARIABLES, what: 'the request path' },
      z.string().regex(/^\//, { error: (iss) => `path ${quote(iss.input)} must start with '/'` }),
    ),
    headers: headerMap.optional(),
    body: z.json().optional(),
  });

  const endpoint = z
    .strictObject({
      request,
      key: templateField(
        { variables: KEY_VARIABLES, requireOneOf: PER_OPERATION_VARIABLES, what: 'the key template' },
        z.string().min(1, { error: 'key template cannot be empty' }),
      ).default('{{uuid}}'),
      vary: z.record(z.string().min(1), z.enum(VARY_KINDS)).optional(),
      observe: z.array(observeItem).optional(),
      attacks: attacks.nullish(),
      /** What this endpoint promises differently from the scenario's contract. */
      contract: z.strictObject({ ttl: duration().optional(), errorsReplayed: z.boolean().optional() }).optional(),
    })
    .superRefine((ep, ctx) => {
      for (const field of Object.keys(ep.vary ?? {})) {
        if (ep.request.body !== undefined && hasPath(ep.request.body, field)) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['vary', field],
          message:
            ep.request.body === undefined
              ? `vary field '${field}' needs a request.body to vary`
              : `vary field '${field}' is not in request.body`,
          params: { anchor: 'key', hint: didYouMean(field, bodyPaths(ep.request.body)) },
        });
      }
    });

  const target = z.strictObject({
    baseUrl: targetUrl,
    nodes: z.array(targetUrl).optional(),
    headers: headerMap.optional(),
    principals: z
      .record(
        z.string().regex(PRINCIPAL, {
          error: (iss) => `principal name ${quote(iss.input)} may use only letters, digits, '_' and '-'`,
        }),
        z.strictObject({ headers: headerMap.optional() }),
      )
      .optional(),
    timeout: duration({ max: MAX_TIMEOUT_MS, maxText: '10m' }).optional(),
    /** The cleartext target speaks HTTP/2 (h2c); bursts then use the single-packet attack. */
    http2: z.boolean().optional(),
    /** Response header carrying the target's arrival time per request (integer nanoseconds), for burst arrival spreads. */
    arrivalHeader: headerName.optional(),
    /** Hosts besides loopback that may be audited without declaring an environment (see engine/host-policy.ts). */
    allowHosts: z.array(z.string().min(1)).optional(),
    /** Where the target runs: any other host must be declared `staging` (or `production` plus --allow-production). */
    environment: z.enum(['local', 'staging', 'production']).optional(),
  });

  const contract = z.strictObject({
    profile: z.enum(PROFILE_NAMES).optional(),
    keyHeader: headerName.optional(),
    keyRequired: z.boolean().optional(),
    ttl: duration().optional(),
    onMissingKey: z.array(statusCode).optional(),
    onMismatch: z.array(statusCode).optional(),
    onInFlight: z.union([z.literal('wait'), z.array(z.union([statusCode, z.literal('wait')]))]).optional(),
    errorsReplayed: z.boolean().optional(),
    replayHeader: headerName.nullable().optional(),
    maxOverhead: z
      .strictObject({
        p50: duration().optional(),
        p95: duration().optional(),
        p99: duration().optional(),
        max: duration().optional(),
      })
      .optional(),
    /** How long a key may stay in progress after the request holding it died (process-crash's stuck-key). */
    recoveryTime: duration({ max: 24 * 3_600_000, maxText: '24h' }).optional(),
  });

  // One command per hook: an argv list (no shell, nothing to quote) or, asked for by name, a shell script.
  const hook = z
    .strictObject({
      run: z
        .array(z.string().min(1, { error: 'an argument cannot be empty' }))
        .min(1, { error: 'run needs at least the program' })
        .optional()
        .meta({ description: 'program and arguments, run without a shell, e.g. [docker, kill, payments]' }),
      shell: z
        .string()
        .min(1)
        .optional()
        .meta({ description: 'a script for /bin/sh -c, when the command needs pipes, && or globbing' }),
      timeout: duration({ max: MAX_TIMEOUT_MS, maxText: '10m' }).optional(),
    })
    .superRefine((h, ctx) => {
      if ((h.run === undefined) === (h.shell === undefined))
        ctx.addIssue({
          code: 'custom',
          message:
            h.run === undefined ? 'a hook needs a command' : 'give either run (argv) or shell (a script), not both',
          params: {
            hint: "e.g. crash: { run: [docker, kill, payments], timeout: 30s } or shell: 'docker kill payments'",
          },
        });
    });
  const hooks = z.strictObject(Object.fromEntries(HOOK_NAMES.map((n) => [n, hook.optional()]))).meta({
    description: 'commands that crash and restart the target or take its key store away (need --allow-hooks)',
  });

  const settings = z.strictObject({
    seed: z.number().int().min(0).max(0xffff_ffff).optional(),
    failOn: z.enum(SEVERITIES).default('high'),
    maxRequests: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(10_000),
    rate: z.number().positive().optional(),
    bodyCap: z
      .number()
      .int()
      .min(0)
      .max(16 * 1024 * 1024)
      .default(65_536),
    secretHeaders: z.array(headerName).optional(),
  });

  return z.strictObject({
    $schema: z.string().optional(),
    version: z.literal(1),
    name: slug('name'),
    target,
    contract: contract.nullish(),
    endpoints: z.preprocess(
      (value, ctx) => {
        if (isPlainObject(value) && Object.keys(value).length === 0) {
          ctx.addIssue({ code: 'custom', input: value, message: 'at least one endpoint is required' });
        }
        return value;
      },
      z.record(slug('endpoint name'), endpoint).meta({ minProperties: 1 }),
    ),
    settings: settings.nullish(),
    hooks: hooks.optional(),
  });
}

export type ScenarioSchema = ReturnType<typeof buildScenarioSchema>;
export type ScenarioInput = z.output<ScenarioSchema>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Whether a dotted path (`customer.id`, `items.0.qty`) exists in a JSON value. */
export function hasPath(value: unknown, dotted: string): boolean {
  let cur: unknown = value;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  return true;
}

function bodyPaths(value: unknown, prefix = '', out: string[] = []): string[] {
  if (value === null || typeof value !== 'object' || out.length > 1000) return out;
  for (const [k, v] of Object.entries(value)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    out.push(p);
    bodyPaths(v, p, out);
  }
  return out;
}
