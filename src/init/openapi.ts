/**
 * `init --from-openapi`: a scenario drafted from an OpenAPI 3 (or Swagger 2) description, meant
 * to run as written once credentials and the base URL are set. One endpoint per write operation
 * with its body (JSON, form or text), the key where the spec documents it (a header, a body or
 * form field, a query parameter; required only where the spec says so), setup steps for what the
 * operation acts on (flows.ts), and credentials as ${ENV} placeholders.
 *
 * The spec is dereferenced by swagger-parser and then read through narrow guards, because a
 * user's spec is untrusted input that may be incomplete in any place. Every walk over it is
 * bounded (example budgets, flow depth), so a description of hundreds of operations drafts in
 * seconds.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { UsageError } from '../errors/errors.js';
import { credentialsFor, securityNames } from './credentials.js';
import type { DraftOperation, OpenApiDraft } from './draft.js';
import { isRecord } from './example-body.js';
import { idPathIn, linksByTarget, planFlow, successSchema, type FlowContext } from './flows.js';
import { renderDraft, slugify } from './render-draft.js';
import { requestParts, type RequestParts } from './request-parts.js';
import { chooseServer } from './servers.js';
import { describeOp, indexSpec, WRITE_METHODS, type SpecOperation } from './spec-operations.js';
import { STARTER_DEFAULTS } from './starter.js';

export { renderDraft, slugify };
export type { DraftOperation, OpenApiDraft };

export interface FromOpenApiOptions {
  /** Also generate endpoints for PUT / DELETE operations (idempotent by HTTP's definition). */
  includePut?: boolean;
  includeDelete?: boolean;
  /** Replaces the spec's absolute server URL; a relative one stays a path prefix. */
  baseUrl?: string;
  schemaRef: string;
  name?: string;
}

/** A POST whose name says it only reads (Square's SearchPayments, BatchRetrieveOrders, …). */
const READ_VERBS = new Set([
  'search',
  'list',
  'retrieve',
  'get',
  'query',
  'lookup',
  'find',
  'count',
  'calculate',
  'preview',
]);

export async function draftFromOpenApi(file: string, o: Omit<FromOpenApiOptions, 'schemaRef'>): Promise<OpenApiDraft> {
  const { api, warnings } = await readSpec(file);
  const info = isRecord(api['info']) ? api['info'] : {};
  const server = chooseServer(api, o.baseUrl ?? STARTER_DEFAULTS.baseUrl);
  const baseUrl = o.baseUrl !== undefined && server.prefix === '' ? o.baseUrl : server.baseUrl;
  const index = indexSpec(api);
  const credentialHeaders = new Set(credentialsFor(api, new Set()).map((c) => c.header.toLowerCase()));
  const memo = new Map<SpecOperation, RequestParts | { skip: string }>();
  const ctx: FlowContext = {
    index,
    links: linksByTarget(index),
    parts: (op) => {
      let parts = memo.get(op);
      if (parts === undefined) memo.set(op, (parts = requestParts(op, credentialHeaders)));
      return parts;
    },
    prefix: server.prefix,
  };

  // A spec that documents a key somewhere and not on an operation is saying that operation takes
  // none: auditing its key handling would only report that. A spec that documents no key at all
  // (Stripe's, Petstore) says nothing either way, so its operations get the scenario's key header.
  const documentsKeys = index.operations.some((op) => {
    if (!(WRITE_METHODS as readonly string[]).includes(op.method)) return false;
    const parts = ctx.parts(op);
    return !('skip' in parts) && parts.key.placement !== undefined;
  });
  const operations: DraftOperation[] = [];
  const skipped: string[] = [];
  const usedSchemes = new Set<string>(securityNames(api['security']));
  const names = new Set<string>();
  for (const specOp of index.operations) {
    const { method, op } = specOp;
    if (!(WRITE_METHODS as readonly string[]).includes(method)) continue;
    const skip = (why: string) => skipped.push(`${describeOp(specOp)} (${why})`);
    if ((method === 'put' && o.includePut !== true) || (method === 'delete' && o.includeDelete !== true)) {
      skip(`pass --${method} to include it`);
      continue;
    }
    if (op['deprecated'] === true) {
      skip('deprecated');
      continue;
    }
    const reads = method === 'post' ? readVerb(specOp) : undefined;
    if (reads !== undefined) {
      skip(`reads: its name says ${reads}`);
      continue;
    }
    const parts = ctx.parts(specOp);
    if ('skip' in parts) {
      skip(parts.skip);
      continue;
    }
    if (documentsKeys && parts.key.placement === undefined) {
      skip('documents no idempotency key, unlike other operations of this spec');
      continue;
    }
    for (const s of securityNames(op['security'])) usedSchemes.add(s);
    const flow = planFlow(ctx, specOp, parts);
    operations.push({
      endpoint: uniqueName(endpointName(specOp), names),
      summary: summaryOf(op),
      request: flow.request,
      key: parts.key,
      idPath: responseIdPath(specOp),
      setup: flow.setup,
      notes: [...parts.notes, ...flow.notes],
    });
  }
  return {
    title: typeof info['title'] === 'string' ? info['title'] : 'api',
    baseUrl,
    ...(server.testHost !== undefined && baseUrl === server.baseUrl ? { testHost: server.testHost } : {}),
    operations,
    credentials: credentialsFor(api, usedSchemes),
    skipped,
    warnings,
  };
}

/**
 * The dereferenced description. Drafting is offline: a `$ref` to a URL is never fetched. Such
 * references, and broken ones (real descriptions have them), are left open and reported; the
 * schemas that use them are drafted without them.
 */
async function readSpec(file: string): Promise<{ api: Record<string, unknown>; warnings: string[] }> {
  // continueOnError is the parser's own option, missing from swagger-parser's types.
  const options: SwaggerParser.Options & { continueOnError: boolean } = {
    continueOnError: true,
    resolve: { http: false },
  };
  let api: unknown;
  const warnings: string[] = [];
  try {
    api = await SwaggerParser.dereference(file, options);
  } catch (err) {
    const partial = unresolvedRefs(err);
    if (partial === undefined) {
      throw new UsageError(
        `--from-openapi: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
        'pass an OpenAPI 3.x or Swagger 2.0 description in YAML or JSON',
      );
    }
    api = partial.api;
    const first = partial.messages.slice(0, 3).join('; ');
    warnings.push(
      `${partial.count} $ref pointer(s) could not be resolved and were left out (${first}${partial.messages.length > 3 ? '; …' : ''})`,
    );
  }
  if (!isRecord(api) || !isRecord(api['paths']))
    throw new UsageError(`--from-openapi: ${file} is not an API description`, 'it has no paths');
  return { api, warnings };
}

/** With continueOnError the parser throws a group of $ref errors at the end, holding the document as far as it got. */
function unresolvedRefs(err: unknown): { api: unknown; count: number; messages: string[] } | undefined {
  if (!isRecord(err) || !Array.isArray(err['errors']) || !isRecord(err['files'])) return undefined;
  const errors = err['errors'].filter(isRecord);
  const refErrors = errors.filter((e) => /\$ref|pointer|Token|resolve/i.test(String(e['message'])));
  if (errors.length === 0 || refErrors.length !== errors.length) return undefined;
  const messages = [...new Set(refErrors.map((e) => String(e['message']).slice(0, 120)))];
  return { api: err['files']['schema'], count: errors.length, messages };
}

export interface DraftedScenario {
  text: string;
  draft: OpenApiDraft;
}

export async function scenarioFromOpenApi(file: string, o: FromOpenApiOptions): Promise<DraftedScenario> {
  const draft = await draftFromOpenApi(file, o);
  if (draft.operations.length === 0) {
    throw new UsageError(
      `--from-openapi: ${file} has no write operation to draft`,
      draft.skipped.length > 0 ? `skipped: ${draft.skipped.join('; ')}` : undefined,
    );
  }
  return { text: renderDraft(draft, o), draft };
}

/** What was drafted, in a few lines: endpoints, setup flows, where the keys go, what was skipped. */
export function summarizeDraft(d: OpenApiDraft): string {
  const count = (pred: (op: DraftOperation) => boolean) => d.operations.filter(pred).length;
  const places = new Map<string, number>();
  for (const op of d.operations) {
    const p = op.key.placement;
    const where = p === undefined ? 'undocumented' : p.in === 'header' ? `header ${p.name}` : `${p.in} field`;
    places.set(where, (places.get(where) ?? 0) + 1);
  }
  const keys = [...places.entries()].map(([w, n]) => `${w} ${n}`).join(', ');
  return [
    `drafted ${d.operations.length} endpoint(s): ${count((op) => op.setup.length > 0)} with setup steps (${d.operations.reduce((n, op) => n + op.setup.length, 0)} steps in all), ${count((op) => op.key.required)} with a required key`,
    `  keys: ${keys}`,
    `  skipped ${d.skipped.length} write operation(s) (listed at the end of the file)`,
    ...d.warnings.map((w) => `  warning: ${w}`),
    ...(count((op) => op.notes.length > 0) > 0
      ? [`  ${count((op) => op.notes.length > 0)} endpoint(s) have CHECK comments to resolve before running`]
      : []),
  ].join('\n');
}

/** The summary, else the description's first sentence without markup (Stripe writes HTML descriptions). */
function summaryOf(op: Record<string, unknown>): string | undefined {
  if (typeof op['summary'] === 'string' && op['summary'].trim() !== '') return op['summary'];
  if (typeof op['description'] !== 'string') return undefined;
  const text = op['description']
    .slice(0, 2000)
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/ ([.,;:!?])/g, '$1')
    .trim();
  const sentence = /^.*?[.!?](\s|$)/.exec(text)?.[0].trim() ?? text;
  return sentence === '' ? undefined : sentence.length > 120 ? `${sentence.slice(0, 117)}...` : sentence;
}

function readVerb(o: SpecOperation): string | undefined {
  const words = (o.operationId ?? '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const verb = words[0] === 'batch' || words[0] === 'bulk' ? words[1] : words[0];
  if (verb !== undefined && READ_VERBS.has(verb)) return `"${o.operationId ?? ''}"`;
  const last = o.path.split('/').pop()?.toLowerCase() ?? '';
  return READ_VERBS.has(last) ? `"/${last}"` : undefined;
}

function responseIdPath(o: SpecOperation): string | undefined {
  const schema = successSchema(o.op);
  if (schema === undefined) return undefined;
  const segment = o.path
    .split('/')
    .filter((s) => s !== '' && !s.includes('{'))
    .pop();
  const preferred = segment
    ?.toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .replace(/s$/, '');
  if (idPathIn(schema, preferred) !== undefined) return idPathIn(schema, preferred);
  const props = isRecord(schema['properties']) ? schema['properties'] : {};
  return ['uuid', 'key'].find((k) => k in props)?.replace(/^/, '$.');
}

function endpointName(o: SpecOperation): string {
  const raw = o.operationId ?? `${o.method}-${o.path}`;
  return slugify(raw.replace(/([a-z0-9])([A-Z])/g, '$1-$2'));
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}
