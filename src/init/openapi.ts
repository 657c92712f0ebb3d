/**
 * `init --from-openapi`: a scenario drafted from an OpenAPI 3 (or Swagger 2) description.
 * One endpoint per unsafe operation, a request body from the spec's examples or schemas, the
 * key header from a documented Idempotency-Key parameter, credentials as ${ENV} placeholders.
 * The spec is dereferenced by swagger-parser and then read through narrow guards, because a
 * user's spec is untrusted input that may be incomplete in any place.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import { UsageError } from '../errors/errors.js';
import type { JsonValue } from '../scenario/types.js';
import { declaredExample, exampleFor, isRecord } from './example-body.js';
import { STARTER_DEFAULTS } from './starter.js';
import { block, inline, yamlKey } from './yaml-text.js';

export interface FromOpenApiOptions {
  /** Also generate endpoints for PUT / DELETE operations (idempotent by HTTP's definition). */
  includePut?: boolean;
  includeDelete?: boolean;
  /** Used when the spec's first server is relative or absent. */
  baseUrl?: string;
  schemaRef: string;
  name?: string;
}

export interface DraftOperation {
  endpoint: string;
  method: string;
  path: string;
  summary: string | undefined;
  body: JsonValue | undefined;
  /** A documented header parameter that carries the idempotency key. */
  keyHeader: string | undefined;
  /** JSONPath of the id in the success response, when the response schema has one. */
  idPath: string | undefined;
}

export interface CredentialHeader {
  scheme: string;
  header: string;
  /** Header value with ${ENV} placeholders. */
  value: string;
  /** Environment variable for a second caller. */
  otherValue: string;
}

export interface OpenApiDraft {
  title: string;
  baseUrl: string;
  operations: DraftOperation[];
  credentials: CredentialHeader[];
  skipped: string[];
}

const KEY_HEADER = /^(idempotency|idempotent|x-idempotency)[-_]?key$/i;
const METHODS = ['post', 'patch', 'put', 'delete'] as const;

export async function draftFromOpenApi(file: string, o: Omit<FromOpenApiOptions, 'schemaRef'>): Promise<OpenApiDraft> {
  let api: unknown;
  try {
    api = await SwaggerParser.dereference(file);
  } catch (err) {
    throw new UsageError(
      `--from-openapi: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
      'pass an OpenAPI 3.x or Swagger 2.0 description in YAML or JSON',
    );
  }
  if (!isRecord(api)) throw new UsageError(`--from-openapi: ${file} is not an API description`);
  const info = isRecord(api['info']) ? api['info'] : {};
  const { baseUrl, prefix } = serverOf(api, o.baseUrl ?? STARTER_DEFAULTS.baseUrl);
  const operations: DraftOperation[] = [];
  const skipped: string[] = [];
  const usedSchemes = new Set<string>(securityNames(api['security']));
  const names = new Set<string>();
  const paths = isRecord(api['paths']) ? api['paths'] : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      if ((method === 'put' && o.includePut !== true) || (method === 'delete' && o.includeDelete !== true)) {
        skipped.push(`${method.toUpperCase()} ${path} (pass --${method} to include it)`);
        continue;
      }
      if (isRecord(op['requestBody']) && jsonMedia(op['requestBody']['content']) === undefined) {
        // The engine sends JSON; a form or binary upload drafted without its body would mislead.
        skipped.push(`${method.toUpperCase()} ${path} (no JSON request body)`);
        continue;
      }
      for (const s of securityNames(op['security'])) usedSchemes.add(s);
      const params = [...asArray(item['parameters']), ...asArray(op['parameters'])].filter(isRecord);
      const endpoint = uniqueName(endpointName(op, method, path), names);
      operations.push({
        endpoint,
        method: method.toUpperCase(),
        path: prefix + fillPath(path, params),
        summary: typeof op['summary'] === 'string' ? op['summary'] : undefined,
        body: requestBody(op, params),
        keyHeader: keyHeaderOf(params),
        idPath: idPathOf(op),
      });
    }
  }
  return {
    title: typeof info['title'] === 'string' ? info['title'] : 'api',
    baseUrl,
    operations,
    credentials: credentialsFor(api, usedSchemes),
    skipped,
  };
}

export async function scenarioFromOpenApi(file: string, o: FromOpenApiOptions): Promise<string> {
  const draft = await draftFromOpenApi(file, o);
  if (draft.operations.length === 0) {
    throw new UsageError(
      `--from-openapi: ${file} has no POST or PATCH operation to audit`,
      draft.skipped.length > 0 ? `skipped: ${draft.skipped.join('; ')}` : undefined,
    );
  }
  return renderDraft(draft, o);
}

export function renderDraft(d: OpenApiDraft, o: Pick<FromOpenApiOptions, 'schemaRef' | 'name'>): string {
  const keyHeaders = [...new Set(d.operations.map((op) => op.keyHeader).filter((h) => h !== undefined))];
  const keyHeader = keyHeaders[0] ?? STARTER_DEFAULTS.keyHeader;
  const out: string[] = [
    `# yaml-language-server: $schema=${o.schemaRef}`,
    `# Drafted by idem-audit init --from-openapi from "${d.title.replace(/[\r\n]/g, ' ')}".`,
    '# Review the bodies and the observers, then: idem-audit validate <this file> && idem-audit run <this file>',
    `$schema: ${inline(o.schemaRef)}`,
    'version: 1',
    `name: ${inline(o.name ?? slugify(d.title))}`,
    '',
    'target:',
    `  baseUrl: \${API_URL:-${d.baseUrl}}`,
  ];
  if (d.credentials.length > 0) {
    out.push('  # From the security schemes; set these variables before running.', '  headers:');
    for (const c of d.credentials) out.push(`    ${yamlKey(c.header)}: ${inline(c.value)} # ${c.scheme}`);
    out.push(
      '  # A second caller with its own credentials, for cross-principal checks.',
      '  principals:',
      '    other:',
      '      headers:',
    );
    for (const c of d.credentials) out.push(`        ${yamlKey(c.header)}: ${inline(c.otherValue)}`);
  }
  out.push('  timeout: 5s', '', 'contract:', '  profile: ietf', `  keyHeader: ${inline(keyHeader)}`);
  if (keyHeaders.length === 0) {
    out.push('  # The spec documents no Idempotency-Key header parameter: check the header name your API reads.');
  } else if (keyHeaders.length > 1) {
    out.push(`  # The spec names several key headers (${keyHeaders.join(', ')}); the scenario uses the first.`);
  }
  out.push('', 'endpoints:');
  for (const op of d.operations) {
    out.push(`  ${op.endpoint}:`);
    if (op.summary) out.push(`    # ${op.summary.replace(/[\r\n]+/g, ' ')}`);
    out.push('    request:', `      method: ${op.method}`, `      path: ${inline(op.path)}`);
    if (op.body !== undefined) out.push('      body:', block(op.body, 8));
    out.push("    key: '{{uuid}}'", '    observe:');
    if (op.idPath === undefined)
      out.push('      # No id found in the success response schema: point this at what identifies the write.');
    out.push(`      - responseId: ${inline(op.idPath ?? '$.id')}`);
  }
  if (d.skipped.length > 0) {
    out.push('', '# Not included (PUT and DELETE are idempotent by HTTP semantics: opt in with --put / --delete):');
    for (const s of d.skipped) out.push(`#   ${s.replace(/[\r\n]+/g, ' ')}`);
  }
  out.push('', 'settings:', '  failOn: high', '');
  return out.join('\n');
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function serverOf(api: Record<string, unknown>, fallback: string): { baseUrl: string; prefix: string } {
  const first = asArray(api['servers'])[0];
  if (isRecord(first) && typeof first['url'] === 'string') {
    const url = first['url'].replace(/\{[^}]*\}/g, 'x').replace(/\/$/, '');
    if (/^https?:\/\//.test(url))
      return plainUrl(url) ? { baseUrl: url, prefix: '' } : { baseUrl: fallback, prefix: '' };
    // A relative server URL (Petstore's `/api/v3`) is a path prefix on whatever host serves the spec.
    return { baseUrl: fallback, prefix: url.startsWith('/') ? url : '' };
  }
  if (typeof api['host'] === 'string') {
    const scheme = asArray(api['schemes']).includes('https') ? 'https' : 'http';
    const base = typeof api['basePath'] === 'string' ? api['basePath'].replace(/\/$/, '') : '';
    const url = `${scheme}://${api['host']}`;
    return plainUrl(url) ? { baseUrl: url, prefix: base } : { baseUrl: fallback, prefix: base };
  }
  return { baseUrl: fallback, prefix: '' };
}

/**
 * The base URL is written unquoted inside `${API_URL:-…}`: a spec's URL with spaces, quotes,
 * braces, `#` or line breaks would end the default early or inject YAML, so it is not used.
 */
function plainUrl(url: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\s{}#?"'\\\u0000-\u001f\u007f]/.test(url) && URL.canParse(url);
}

function endpointName(op: Record<string, unknown>, method: string, path: string): string {
  const raw = typeof op['operationId'] === 'string' ? op['operationId'] : `${method}-${path}`;
  return slugify(raw.replace(/([a-z0-9])([A-Z])/g, '$1-$2'));
}

export function slugify(s: string): string {
  const slug = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  return slug === '' ? 'api' : slug.slice(0, 60);
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

function paramExample(p: Record<string, unknown>): JsonValue {
  return declaredExample(p) ?? exampleFor(p['schema'] ?? p);
}

/** Path parameters get example values; required query parameters are appended. */
function fillPath(path: string, params: Record<string, unknown>[]): string {
  let filled = path;
  const query: string[] = [];
  for (const p of params) {
    if (typeof p['name'] !== 'string') continue;
    const value = paramExample(p);
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (p['in'] === 'path') filled = filled.replaceAll(`{${p['name']}}`, encodeURIComponent(text));
    else if (p['in'] === 'query' && p['required'] === true)
      query.push(`${encodeURIComponent(p['name'])}=${encodeURIComponent(text)}`);
  }
  return query.length > 0 ? `${filled}?${query.join('&')}` : filled;
}

function keyHeaderOf(params: Record<string, unknown>[]): string | undefined {
  const p = params.find((x) => x['in'] === 'header' && typeof x['name'] === 'string' && KEY_HEADER.test(x['name']));
  return typeof p?.['name'] === 'string' ? p['name'] : undefined;
}

function jsonMedia(content: unknown): Record<string, unknown> | undefined {
  if (!isRecord(content)) return undefined;
  const type = Object.keys(content).find((t) => /^application\/(.+\+)?json/.test(t));
  const media = type === undefined ? undefined : content[type];
  return isRecord(media) ? media : undefined;
}

function requestBody(op: Record<string, unknown>, params: Record<string, unknown>[]): JsonValue | undefined {
  const rb = op['requestBody'];
  if (isRecord(rb)) {
    const media = jsonMedia(rb['content']);
    if (media === undefined) return undefined; // form or binary bodies: the engine sends JSON only
    return declaredExample(media) ?? exampleFor(media['schema']);
  }
  // Swagger 2: an `in: body` parameter.
  const body = params.find((p) => p['in'] === 'body');
  return body === undefined ? undefined : exampleFor(body['schema']);
}

function idPathOf(op: Record<string, unknown>): string | undefined {
  const responses = isRecord(op['responses']) ? op['responses'] : {};
  const ok = Object.keys(responses).find((s) => /^2\d\d$/.test(s));
  const res = ok === undefined ? undefined : responses[ok];
  if (!isRecord(res)) return undefined;
  const schema = jsonMedia(res['content'])?.['schema'] ?? res['schema'];
  if (!isRecord(schema) || !isRecord(schema['properties'])) return undefined;
  return ['id', 'uuid', 'key']
    .map((k) => (k in (schema['properties'] as object) ? `$.${k}` : undefined))
    .find((x) => x !== undefined);
}

function securityNames(requirements: unknown): string[] {
  return asArray(requirements).flatMap((r) => (isRecord(r) ? Object.keys(r) : []));
}

function envName(scheme: string): string {
  return scheme
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function credentialsFor(api: Record<string, unknown>, used: Set<string>): CredentialHeader[] {
  const components = isRecord(api['components']) ? api['components'] : {};
  const schemes = isRecord(components['securitySchemes'])
    ? components['securitySchemes']
    : isRecord(api['securityDefinitions'])
      ? api['securityDefinitions']
      : {};
  const out: CredentialHeader[] = [];
  for (const [name, s] of Object.entries(schemes)) {
    if (!isRecord(s) || (used.size > 0 && !used.has(name))) continue;
    const env = envName(name);
    const type = s['type'];
    const httpScheme = typeof s['scheme'] === 'string' ? s['scheme'].toLowerCase() : '';
    let header: string;
    let value: (v: string) => string;
    if (type === 'apiKey' && s['in'] === 'header' && typeof s['name'] === 'string') {
      header = s['name'];
      value = (v) => `\${${v}}`;
    } else if ((type === 'http' && httpScheme === 'basic') || type === 'basic') {
      header = 'Authorization';
      value = (v) => `Basic \${${v}}`;
    } else if (type === 'http' || type === 'oauth2' || type === 'openIdConnect') {
      header = 'Authorization';
      value = (v) => `Bearer \${${v}}`;
    } else {
      continue; // apiKey in a query or cookie: not expressible as a header placeholder
    }
    if (out.some((c) => c.header.toLowerCase() === header.toLowerCase())) continue;
    const suffix = type === 'apiKey' ? '' : '_TOKEN';
    out.push({ scheme: name, header, value: value(`${env}${suffix}`), otherValue: value(`${env}${suffix}_OTHER`) });
  }
  return out;
}
