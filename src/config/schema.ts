/**
 * The scenario format as one zod schema, built per run from the attack and observer registries
 * so that their option schemas are validated (and documented in the JSON Schema) in place.
 * Every object is strict: an unknown key is far more often a typo than an extension.
 */
import { z } from 'zod';
import { jsonPathField } from '../scenario/json-path.js';
import { flattenForm } from '../scenario/request-body.js';
import { SEVERITIES } from '../scenario/severity.js';
import {
  BUILT_IN_VARIABLES,
  CAPTURE_NAME,
  KEY_VARIABLES,
  PER_OPERATION_VARIABLES,
  REQUEST_VARIABLES,
  SETUP_VARIABLES,
  templateField,
  templateTree,
} from '../scenario/template.js';
import { HOOK_NAMES, type JsonValue } from '../scenario/types.js';
import { DURATION_EXAMPLES, DURATION_PATTERN, parseDuration } from './durations.js';
import { PROFILE_NAMES } from './profiles.js';
import { didYouMean } from './suggest.js';

export interface ExtensionSchemas {
  /** attack id -> options schema. In YAML the value may be null / omitted / {} -> parse as {} so defaults apply. */
  attacks: Readonly<Record<string, z.ZodType>>;
  /** observer id -> options schema (the value of the single key of an `observe` list item). */
  observers: Readonly<Record<string, z.ZodType>>;
  /** The default suite: attack ids an endpoint runs unless it says `suite: none`, in this order. */
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
const headerMapFor = (variables: readonly string[]) =>
  z.record(
    headerName,
    templateField(
      { variables, what: 'a header value' },
      z.string().regex(/^[^\r\n]*$/, { error: 'header values cannot contain line breaks' }),
    ),
  );
const headerMap = headerMapFor(REQUEST_VARIABLES);

/** `type/subtype` with optional parameters; what goes into the Content-Type header. */
const mediaType = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[^\r\n]*)?$/, {
    error: (iss) => `${quote(iss.input)} is not a media type such as application/xml`,
  })
  .meta({ description: 'media type sent as Content-Type' });

const BODY_KINDS = ['body', 'form', 'text'] as const;

/**
 * A request: method, path, headers and at most one body (JSON `body`, `form`, or `text` with its
 * `contentType`). Every string in it is a template rendering `variables` (plus the captures
 * visible at its place, config/variables.ts).
 */
function requestSchema(variables: readonly string[], what: string) {
  return z
    .strictObject({
      method: z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(METHODS)).default('POST'),
      // A regex rather than startsWith: the latter emits `format: starts_with`, which strict
      // JSON Schema validators reject as an unknown format.
      path: templateField(
        { variables, what: `${what} path` },
        z.string().regex(/^\//, { error: (iss) => `path ${quote(iss.input)} must start with '/'` }),
      ).meta({ description: 'path and optional query; templates are URL-encoded when rendered' }),
      headers: headerMapFor(variables).optional(),
      body: templateTree({ variables, what: `${what} JSON body` }, z.json())
        .meta({ description: 'JSON body; {{templates}} render inside its strings' })
        .optional(),
      form: templateTree(
        { variables, what: `${what} form` },
        z.record(z.string().min(1, { error: 'form field names cannot be empty' }), z.json()),
      )
        .meta({
          description:
            'application/x-www-form-urlencoded body; nested mappings and lists use bracket notation (metadata[order]=o-1, expand[0]=a)',
        })
        .optional(),
      text: templateField({ variables, what: `${what} text body` })
        .meta({ description: 'a body sent as written (give its contentType)' })
        .optional(),
      contentType: mediaType.optional(),
    })
    .superRefine((req, ctx) => {
      const kinds = BODY_KINDS.filter((k) => req[k] !== undefined);
      for (const extra of kinds.slice(1)) {
        ctx.addIssue({
          code: 'custom',
          path: [extra],
          message: `a request has one body: ${kinds.join(' and ')} are both given`,
          params: { anchor: 'key', hint: 'keep one of body (JSON), form or text' },
        });
      }
      if (req.text !== undefined && req.contentType === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['text'],
          message: 'a text body needs its contentType',
          params: { anchor: 'key', hint: 'e.g. contentType: application/xml' },
        });
      }
      if (req.contentType !== undefined && kinds.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['contentType'],
          message: 'contentType without a body',
          params: { anchor: 'key', hint: 'add body, form or text, or remove contentType' },
        });
      }
      const header = Object.keys(req.headers ?? {}).find((h) => h.toLowerCase() === 'content-type');
      if (req.contentType !== undefined && header !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['headers', header],
          message: 'the content type is given twice, as contentType and as a header',
          params: { anchor: 'key', hint: 'keep contentType' },
        });
      }
    });
}

/** A regular expression a capture applies to the value it read; group 1 (else the whole match) is captured. */
const capturePattern = z
  .string()
  .min(1)
  .superRefine((p, ctx) => {
    try {
      new RegExp(p, 'u');
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: `invalid regular expression: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  })
  .meta({ description: 'regular expression; its group 1 (else the whole match) is captured' });

const captureName = z
  .string()
  .regex(CAPTURE_NAME, {
    error: (iss) => `capture name ${quote(iss.input)} must be letters, digits and '_', not starting with a digit`,
  })
  .refine((n) => !BUILT_IN_VARIABLES.includes(n), {
    error: (iss) => `${quote(iss.input)} is a built-in variable; give the capture another name`,
  });

const captureSource = z.union([
  jsonPathField('$.id').meta({ description: 'JSONPath into the JSON answer (first match)' }),
  z.strictObject({ header: headerName, pattern: capturePattern.optional() }),
  z.strictObject({ json: jsonPathField('$.id'), pattern: capturePattern.optional() }),
]);

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
    // `missing-key:` (null) means "defaults", the same as `missing-key: {}`; `false` leaves a default attack out.
    const wrapped = z.preprocess(
      (v) => v ?? {},
      z.union([z.literal(false).meta({ description: 'leave this attack out of the suite' }), options]),
    );
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

  const attacks = z.strictObject(attackShape).meta({
    description: `attack id -> options, or false to leave a default one out; tunes the default suite (${ext.defaultSuite.join(', ')}) unless suite: none`,
  });

  const request = requestSchema(REQUEST_VARIABLES, 'the request');
  const stepRequest = requestSchema(SETUP_VARIABLES, 'a setup request');
  const teardownRequest = requestSchema(SETUP_VARIABLES, 'a teardown request');
  const expectStatuses = z
    .array(statusCode)
    .min(1)
    .meta({ description: 'statuses that count as success; default any 2xx' });

  const setupStep = (levels: readonly ['run'] | readonly ['run', 'operation']) =>
    z.strictObject({
      name: slug('setup step name'),
      per: z
        .enum(levels, {
          error: (iss) =>
            levels.length === 1
              ? `scenario-level setup runs once per run; per: ${quote(iss.input)} belongs to an endpoint's setup`
              : `per must be run or operation, got ${quote(iss.input)}`,
        })
        .default('run')
        .meta({ description: 'run: once per run; operation: once per audited operation (each fresh key)' }),
      request: stepRequest,
      capture: z
        .record(captureName, captureSource)
        .meta({ description: 'variable name -> JSONPath ($.id), { header, pattern } or { json, pattern }' })
        .optional(),
      expect: expectStatuses.optional(),
    });
  const teardownStep = z.strictObject({
    name: slug('teardown step name').optional(),
    request: teardownRequest,
    expect: expectStatuses.optional(),
  });

  const keyTemplate = templateField(
    { variables: KEY_VARIABLES, requireOneOf: PER_OPERATION_VARIABLES, what: 'the key template' },
    z.string().min(1, { error: 'key template cannot be empty' }),
  );
  const keyPlaced = z
    .strictObject({
      value: keyTemplate.default('{{uuid}}'),
      header: headerName.optional(),
      body: z
        .string()
        .regex(/^[^.]+(\.[^.]+)*$/, { error: (iss) => `${quote(iss.input)} is not a dotted field path` })
        .meta({ description: 'JSON body field (dotted path) that carries the key' })
        .optional(),
      form: z.string().min(1).meta({ description: 'form field that carries the key' }).optional(),
      query: z.string().min(1).meta({ description: 'query parameter that carries the key' }).optional(),
      required: z
        .boolean()
        .meta({ description: "this operation's key is optional (overrides contract.keyRequired)" })
        .optional(),
    })
    .superRefine((k, ctx) => {
      const places = KEY_PLACES.filter((p) => k[p] !== undefined);
      for (const extra of places.slice(1)) {
        ctx.addIssue({
          code: 'custom',
          path: [extra],
          message: `the key travels in one place: ${places.join(' and ')} are both given`,
          params: { anchor: 'key' },
        });
      }
    });

  const endpoint = z
    .strictObject({
      setup: z.array(setupStep(['run', 'operation'])).optional(),
      teardown: z.array(teardownStep).optional(),
      request,
      key: z
        .union([keyTemplate, keyPlaced], {
          error: 'expected a key template such as {{uuid}}, or a mapping with value and where the key goes',
        })
        .default('{{uuid}}'),
      vary: z.record(z.string().min(1), z.enum(VARY_KINDS)).optional(),
      observe: z.array(observeItem).optional(),
      suite: z
        .enum(['default', 'none'])
        .meta({ description: 'default: the default suite, tuned by attacks; none: only the attacks named' })
        .optional(),
      attacks: attacks.nullish(),
      /** What this endpoint promises differently from the scenario's contract. */
      contract: z.strictObject({ ttl: duration().optional(), errorsReplayed: z.boolean().optional() }).optional(),
    })
    .superRefine((ep, ctx) => {
      checkVary(ep.vary ?? {}, ep.request, ctx);
      checkKeyPlacement(ep.key, ep.request, ctx);
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
    /** Endpoints audited at once (parallel lanes); 1 audits them one after another. */
    concurrency: z.number().int().min(1).max(64).optional(),
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
    setup: z.array(setupStep(['run'])).optional(),
    teardown: z.array(teardownStep).optional(),
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

const KEY_PLACES = ['header', 'body', 'form', 'query'] as const;

type RequestInput = {
  body?: JsonValue | undefined;
  form?: Record<string, JsonValue> | undefined;
  text?: string | undefined;
};

/** `vary` names JSON dotted paths, or form field names (bracket notation), that exist in the request. */
function checkVary(vary: Readonly<Record<string, string>>, req: RequestInput, ctx: z.RefinementCtx): void {
  const formFields = req.form === undefined ? undefined : flattenForm(req.form).map(([k]) => k);
  for (const field of Object.keys(vary)) {
    if (req.body !== undefined && hasPath(req.body, field)) continue;
    if (formFields?.includes(field)) continue;
    const [message, known] =
      req.body !== undefined
        ? [`vary field '${field}' is not in request.body`, bodyPaths(req.body)]
        : formFields !== undefined
          ? [`vary field '${field}' is not a field of request.form`, formFields]
          : req.text !== undefined
            ? [`vary field '${field}': a text body has no fields to vary`, []]
            : [`vary field '${field}' needs a request.body or request.form to vary`, []];
    ctx.addIssue({
      code: 'custom',
      path: ['vary', field],
      message,
      params: { anchor: 'key', hint: didYouMean(field, known) },
    });
  }
}

/** A key in the body needs a JSON object body; a key in a form field needs a form. */
function checkKeyPlacement(
  key: string | { body?: string | undefined; form?: string | undefined },
  req: RequestInput,
  ctx: z.RefinementCtx,
): void {
  if (typeof key === 'string') return;
  if (key.body !== undefined && !(req.body !== null && typeof req.body === 'object' && !Array.isArray(req.body))) {
    ctx.addIssue({
      code: 'custom',
      path: ['key', 'body'],
      message:
        req.body === undefined
          ? 'the key goes into a JSON body field, but the request has no JSON body'
          : 'the key goes into a JSON body field, but the body is not a JSON object',
      params: {
        anchor: 'key',
        hint: 'give request.body a mapping, or put the key in a header, form field or query parameter',
      },
    });
  }
  if (key.form !== undefined && req.form === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['key', 'form'],
      message: 'the key goes into a form field, but the request has no form',
      params: {
        anchor: 'key',
        hint: 'give the request a form, or put the key in a header, body field or query parameter',
      },
    });
  }
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
