/**
 * A drafted scenario as commented YAML: every value rendered by the YAML library (so nothing a
 * spec contains can inject structure), every guess explained in a comment beside it.
 */
import type { JsonValue } from '../scenario/types.js';
import type { DraftKey, DraftOperation, DraftRequest, DraftSetupStep, OpenApiDraft } from './draft.js';
import { STARTER_DEFAULTS } from './starter.js';
import { block, inline, yamlKey } from './yaml-text.js';

export interface RenderOptions {
  schemaRef: string;
  name?: string;
}

export function renderDraft(d: OpenApiDraft, o: RenderOptions): string {
  const keyHeader = scenarioKeyHeader(d.operations);
  const out: string[] = [
    `# yaml-language-server: $schema=${o.schemaRef}`,
    `# Drafted by idem-audit init --from-openapi from "${oneLine(d.title)}".`,
    '# Bodies hold the fields the spec requires and those it gives examples for; setup steps create what',
    '# a request acts on. Review them, then: idem-audit validate <this file> && idem-audit run <this file>',
    ...d.warnings.map((w) => `# WARNING: ${oneLine(w)}`),
    `$schema: ${inline(o.schemaRef)}`,
    'version: 1',
    `name: ${inline(o.name ?? slugify(d.title))}`,
    '',
    'target:',
    `  baseUrl: \${API_URL:-${d.baseUrl}}`,
  ];
  if (d.testHost !== undefined) {
    out.push(
      `  # The spec's test server (${oneLine(d.testHost.why)}): idem-audit may send its duplicate writes there.`,
      `  allowHosts: [${inline(d.testHost.host)}]`,
    );
  }
  if (d.credentials.length > 0) {
    out.push('  # From the security schemes; set these variables before running.', '  headers:');
    for (const c of d.credentials) out.push(`    ${yamlKey(c.header)}: ${inline(c.value)} # ${oneLine(c.scheme)}`);
    out.push(
      '  # A second caller with its own credentials, for cross-principal checks.',
      '  principals:',
      '    other:',
      '      headers:',
    );
    for (const c of d.credentials) out.push(`        ${yamlKey(c.header)}: ${inline(c.otherValue)}`);
  }
  out.push('  timeout: 5s', '', 'contract:', '  profile: ietf', `  keyHeader: ${inline(keyHeader.name)}`);
  if (keyHeader.note !== undefined) out.push(`  # ${keyHeader.note}`);
  out.push('', 'endpoints:');
  for (const op of d.operations) out.push(...renderOperation(op, keyHeader.name));
  if (d.skipped.length > 0) {
    out.push('', '# Not drafted:');
    for (const s of d.skipped) out.push(`#   ${oneLine(s)}`);
  }
  out.push('', 'settings:', '  failOn: high', '');
  return out.join('\n');
}

function renderOperation(op: DraftOperation, keyHeader: string): string[] {
  const out = [`  ${op.endpoint}:`];
  if (op.summary) out.push(`    # ${oneLine(op.summary)}`);
  for (const note of op.notes) out.push(`    # CHECK: ${oneLine(note)}`);
  if (op.setup.length > 0) {
    out.push('    setup:');
    for (const step of op.setup) {
      out.push(`      # ${oneLine(step.reason)}`, block([stepValue(step)], 6));
    }
  }
  out.push('    request:', block(requestValue(op.request), 6));
  out.push(...renderKey(op.key, keyHeader));
  out.push('    observe:');
  if (op.idPath === undefined)
    out.push('      # No id found in the success response schema: point this at what identifies the write.');
  out.push(`      - responseId: ${inline(op.idPath ?? '$.id')}`);
  return out;
}

function stepValue(step: DraftSetupStep): JsonValue {
  const capture: Record<string, JsonValue> = {};
  for (const [name, source] of Object.entries(step.capture))
    capture[name] = 'json' in source ? source.json : { header: source.header };
  return {
    name: step.name,
    per: 'operation',
    request: requestValue(step.request),
    capture,
  };
}

function requestValue(r: DraftRequest): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { method: r.method, path: r.path };
  if (Object.keys(r.headers).length > 0) out['headers'] = r.headers;
  const body = r.body;
  if (body?.kind === 'json') out['body'] = body.value;
  else if (body?.kind === 'form') out['form'] = body.value;
  else if (body?.kind === 'text') {
    out['text'] = body.text;
    out['contentType'] = body.contentType;
  }
  return out;
}

function renderKey(key: DraftKey, keyHeader: string): string[] {
  const p = key.placement;
  const required = key.required ? {} : { required: false };
  if (p === undefined) {
    return [
      `    # The spec documents no idempotency key here: it is sent as ${keyHeader}, and not required.`,
      `    key: ${inline({ value: '{{uuid}}', ...required })}`,
    ];
  }
  const where =
    p.in === 'header'
      ? `header ${p.name}`
      : p.in === 'body'
        ? `body field ${p.field}`
        : p.in === 'form'
          ? `form field ${p.field}`
          : `query parameter ${p.name}`;
  const comment = `    # The spec documents the key as the ${where}${key.required ? ', required' : ', optional'}.`;
  if (p.in === 'header' && p.name === keyHeader && key.required) return [comment, "    key: '{{uuid}}'"];
  const placed =
    p.in === 'header'
      ? p.name === keyHeader
        ? {}
        : { header: p.name }
      : p.in === 'body'
        ? { body: p.field }
        : p.in === 'form'
          ? { form: p.field }
          : { query: p.name };
  return [comment, `    key: ${inline({ value: '{{uuid}}', ...placed, ...required })}`];
}

/** The scenario-wide key header: the one the spec documents most often, else Idempotency-Key. */
function scenarioKeyHeader(ops: readonly DraftOperation[]): { name: string; note?: string } {
  const counts = new Map<string, number>();
  for (const op of ops)
    if (op.key.placement?.in === 'header')
      counts.set(op.key.placement.name, (counts.get(op.key.placement.name) ?? 0) + 1);
  const names = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([n]) => n);
  const first = names[0];
  if (first === undefined) {
    const elsewhere = ops.some((op) => op.key.placement !== undefined);
    return {
      name: STARTER_DEFAULTS.keyHeader,
      ...(elsewhere
        ? {}
        : { note: 'The spec documents no idempotency key header: check the header name your API reads.' }),
    };
  }
  return names.length > 1
    ? { name: first, note: `The spec names several key headers (${names.join(', ')}); endpoints say which they use.` }
    : { name: first };
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

export function slugify(s: string): string {
  const slug = s
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|-+$/g, '');
  return slug === '' ? 'api' : slug.slice(0, 60);
}
