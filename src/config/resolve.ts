/**
 * Validated scenario -> ResolvedScenario: profiles applied, defaults filled, durations in ms,
 * maps turned into ordered lists. No validation happens here; the schema has done it all.
 */
import { dirname } from 'node:path';
import { DEFAULT_SECRET_HEADERS, isSecretField, namePattern } from '../scenario/credentials.js';
import { bodyStrings, flattenForm } from '../scenario/request-body.js';
import { templateVariables } from '../scenario/template.js';
import {
  HOOK_NAMES,
  type AttackSpec,
  type Capture,
  type EndpointContract,
  type HookName,
  type HookSpec,
  type KeyPlacement,
  type RequestBody,
  type RequestTemplate,
  type ResolvedEndpoint,
  type ResolvedScenario,
  type SetupStep,
  type TeardownStep,
} from '../scenario/types.js';
import type { PathSegment } from './locate.js';
import { resolveContract } from './profiles.js';
import { DEFAULT_HOOK_TIMEOUT_MS, type ExtensionSchemas, type ScenarioInput } from './schema.js';

export { DEFAULT_SECRET_HEADERS } from '../scenario/credentials.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export function resolveScenario(
  input: ScenarioInput,
  /** The same document before validation: the only place that still has the attack order as written. */
  raw: unknown,
  file: string,
  secretValues: readonly string[],
  ext: ExtensionSchemas,
  /** Problems only the resolved suites show (a registry bug, an attack left out of no suite): reported, not thrown. */
  report: (path: PathSegment[], message: string, hint?: string) => void,
): ResolvedScenario {
  const settings = input.settings ?? undefined;
  const endpoints: ResolvedEndpoint[] = Object.entries(input.endpoints).map(([name, ep]) => {
    const key = typeof ep.key === 'string' ? { value: ep.key } : ep.key;
    const keyIn = keyPlacement(key);
    const contract = endpointContract({ ...ep.contract, keyRequired: key.required });
    const setup = ep.setup?.map(resolveStep);
    const perOperation = new Set(
      setup?.filter((s) => s.per === 'operation').flatMap((s) => s.capture.map((c) => c.name)),
    );
    if (setup?.some((s) => s.per === 'operation')) perOperation.add('key');
    return {
      name,
      request: resolveRequest(ep.request),
      key: key.value,
      // Absent unless declared, so resolved endpoints of existing scenarios stay as they were.
      ...(keyIn ? { keyIn } : {}),
      ...(setup && setup.length > 0 ? { setup } : {}),
      ...(ep.teardown && ep.teardown.length > 0
        ? { teardown: ep.teardown.map((t, i) => resolveTeardown(t, i, perOperation)) }
        : {}),
      vary: { ...ep.vary },
      observe: (ep.observe ?? []).flatMap((item, index) =>
        Object.entries(item).map(([id, options]) => ({ id, options, path: `endpoints.${name}.observe[${index}]` })),
      ),
      attacks: resolveAttacks(ep.attacks, ep.suite ?? 'default', rawAttackOrder(raw, name), ext, (path, m, hint) =>
        report(['endpoints', name, ...path], m, hint),
      ),
      ...(Object.keys(contract).length > 0 ? { contract } : {}),
    };
  });
  if (endpoints.every((e) => e.attacks.length === 0)) {
    report(
      ['endpoints'],
      'every attack is disabled: no endpoint runs any attack',
      'remove `suite: none` or name an attack under some endpoint’s attacks',
    );
  }

  const secretHeaders = dedupeCaseInsensitive([...DEFAULT_SECRET_HEADERS, ...(settings?.secretHeaders ?? [])]);
  const contract = resolveContract(
    input.contract && {
      profile: input.contract.profile,
      keyHeader: input.contract.keyHeader,
      keyRequired: input.contract.keyRequired,
      ttlMs: input.contract.ttl,
      onMissingKey: input.contract.onMissingKey,
      onMismatch: input.contract.onMismatch,
      onInFlight: input.contract.onInFlight,
      errorsReplayed: input.contract.errorsReplayed,
      replayHeader: input.contract.replayHeader,
      maxOverhead: input.contract.maxOverhead,
      recoveryMs: input.contract.recoveryTime,
    },
  );
  const literals = literalCredentials(
    { target: input.target, endpoints: input.endpoints, setup: input.setup, teardown: input.teardown },
    namePattern(secretHeaders),
    contract.keyHeader,
  );
  return {
    file,
    version: 1,
    name: input.name,
    target: {
      baseUrl: stripOneSlash(input.target.baseUrl),
      nodes: (input.target.nodes ?? []).map(stripOneSlash),
      headers: { ...input.target.headers },
      principals: Object.entries(input.target.principals ?? {}).map(([name, p]) => ({
        name,
        headers: { ...p.headers },
      })),
      timeoutMs: input.target.timeout ?? DEFAULT_TIMEOUT_MS,
      // Absent unless declared, so resolved targets of existing scenarios stay as they were.
      ...(input.target.http2 === true ? { http2: true } : {}),
      ...(input.target.arrivalHeader ? { arrivalHeader: input.target.arrivalHeader } : {}),
      ...(input.target.allowHosts ? { allowHosts: input.target.allowHosts } : {}),
      ...(input.target.environment ? { environment: input.target.environment } : {}),
    },
    contract,
    endpoints,
    ...(input.setup && input.setup.length > 0 ? { setup: input.setup.map(resolveStep) } : {}),
    ...(input.teardown && input.teardown.length > 0
      ? { teardown: input.teardown.map((t, i) => resolveTeardown(t, i, new Set())) }
      : {}),
    settings: {
      seed: settings?.seed,
      failOn: settings?.failOn ?? 'high',
      maxRequests: settings?.maxRequests ?? 10_000,
      rate: settings?.rate,
      ...(settings?.concurrency === undefined ? {} : { concurrency: settings.concurrency }),
      bodyCap: settings?.bodyCap ?? 65_536,
      secretHeaders,
    },
    // Absent unless declared, so resolved scenarios without hooks stay as they were.
    ...(input.hooks ? { hooks: resolveHooks(input.hooks, file) } : {}),
    secretValues: [...new Set([...secretValues, ...literals].filter((v) => v !== ''))],
  };
}

function resolveHooks(hooks: NonNullable<ScenarioInput['hooks']>, file: string): Partial<Record<HookName, HookSpec>> {
  const out: Partial<Record<HookName, HookSpec>> = {};
  for (const name of HOOK_NAMES) {
    const h = hooks[name];
    if (h === undefined) continue;
    const shell = h.shell !== undefined;
    out[name] = {
      argv: shell ? ['/bin/sh', '-c', h.shell ?? ''] : [...(h.run ?? [])],
      shell,
      timeoutMs: h.timeout ?? DEFAULT_HOOK_TIMEOUT_MS,
      cwd: dirname(file),
    };
  }
  return out;
}

type EndpointInput = ScenarioInput['endpoints'][string];
type RequestInput = EndpointInput['request'];
type StepInput = NonNullable<EndpointInput['setup']>[number];
type TeardownInput = NonNullable<EndpointInput['teardown']>[number];

function resolveRequest(r: RequestInput): RequestTemplate {
  return { method: r.method, path: r.path, headers: { ...r.headers }, body: resolveBody(r) };
}

function resolveBody(r: RequestInput): RequestBody | undefined {
  const contentType = r.contentType !== undefined ? { contentType: r.contentType } : {};
  if (r.body !== undefined) return { kind: 'json', value: r.body, ...contentType };
  if (r.form !== undefined) return { kind: 'form', fields: flattenForm(r.form), ...contentType };
  if (r.text !== undefined) return { kind: 'text', text: r.text, contentType: r.contentType ?? 'text/plain' };
  return undefined;
}

function keyPlacement(k: {
  header?: string | undefined;
  body?: string | undefined;
  form?: string | undefined;
  query?: string | undefined;
}): KeyPlacement | undefined {
  if (k.header !== undefined) return { in: 'header', name: k.header };
  if (k.body !== undefined) return { in: 'body', path: k.body.split('.') };
  if (k.form !== undefined) return { in: 'form', name: k.form };
  if (k.query !== undefined) return { in: 'query', name: k.query };
  return undefined;
}

function resolveStep(s: StepInput): SetupStep {
  const capture: Capture[] = Object.entries(s.capture ?? {}).map(([name, c]) => ({
    name,
    source:
      typeof c === 'string'
        ? { from: 'json', path: c }
        : 'header' in c
          ? { from: 'header', name: c.header, ...(c.pattern !== undefined ? { pattern: c.pattern } : {}) }
          : { from: 'json', path: c.json, ...(c.pattern !== undefined ? { pattern: c.pattern } : {}) },
  }));
  return { name: s.name, per: s.per, request: resolveRequest(s.request), capture, expect: s.expect };
}

/** A teardown step runs once per operation when it renders {{key}} or a capture of a per-operation step. */
function resolveTeardown(t: TeardownInput, index: number, perOperation: ReadonlySet<string>): TeardownStep {
  const request = resolveRequest(t.request);
  const used = requestStrings(request).flatMap(templateVariables);
  return {
    name: t.name ?? `teardown[${index}]`,
    per: used.some((v) => perOperation.has(v)) ? 'operation' : 'run',
    request,
    expect: t.expect,
  };
}

/** Every template string of a request: path, header values, body strings. */
export function requestStrings(r: RequestTemplate): string[] {
  return [r.path, ...Object.values(r.headers), ...(r.body ? bodyStrings(r.body) : [])];
}

/**
 * The endpoint's attacks: the default suite (unless `suite: none`) in its order, each tuned by
 * the options given for it or left out with `false`, then the attacks it names beyond the suite
 * in the order written.
 */
function resolveAttacks(
  attacks: Readonly<Record<string, unknown>> | null | undefined,
  suite: 'default' | 'none',
  order: readonly string[],
  ext: ExtensionSchemas,
  report: (path: PathSegment[], message: string, hint?: string) => void,
): AttackSpec[] {
  const named = attacks ?? {};
  const base = suite === 'none' ? [] : ext.defaultSuite;
  const out: AttackSpec[] = [];
  for (const id of base) {
    const given = named[id];
    if (given === false) continue;
    if (given !== undefined) {
      out.push({ id, options: given });
      continue;
    }
    // The default suite's options come from each attack's own defaults.
    const schema = ext.attacks[id];
    const parsed = schema?.safeParse({});
    if (!parsed?.success) {
      report(
        [],
        schema
          ? `default attack '${id}' needs options; list it under attacks with its options`
          : `default attack '${id}' is not registered`,
      );
    }
    out.push({ id, options: parsed?.data });
  }
  const extra = [
    ...order.filter((id) => id in named),
    ...Object.keys(named).filter((id) => !order.includes(id)),
  ].filter((id) => !base.includes(id));
  for (const id of extra) {
    const given = named[id];
    if (given === false) {
      report(
        ['attacks', id],
        `'${id}: false' leaves out an attack that is not in the suite`,
        suite === 'none'
          ? 'with suite: none only the attacks named run; remove this line'
          : `the default suite is ${base.join(', ')}`,
      );
      continue;
    }
    out.push({ id, options: given });
  }
  return out;
}

function rawAttackOrder(raw: unknown, endpoint: string): string[] {
  const attacks = child(child(child(raw, 'endpoints'), endpoint), 'attacks');
  return attacks !== null && typeof attacks === 'object' ? Object.keys(attacks) : [];
}

function child(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function endpointContract(c: {
  ttl?: number | undefined;
  errorsReplayed?: boolean | undefined;
  keyRequired?: boolean | undefined;
}): EndpointContract {
  const out: EndpointContract = {};
  if (c.ttl !== undefined) out.ttlMs = c.ttl;
  if (c.errorsReplayed !== undefined) out.errorsReplayed = c.errorsReplayed;
  if (c.keyRequired !== undefined) out.keyRequired = c.keyRequired;
  return out;
}

function stripOneSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

function dedupeCaseInsensitive(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const k = n.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Credentials written into the scenario itself rather than taken from the environment: values of
 * secret headers (and the credential after an auth scheme), of credential-named query parameters
 * in paths and of credential-named body fields, and passwords in connection strings. The name
 * rules hide them where they are sent; a target may echo them under any name, so they are
 * secret values too. Templates (`{{uuid}}`) are rendered per request and are not values.
 */
function literalCredentials(scenario: unknown, secretHeader: RegExp, keyHeader: string): string[] {
  const out: string[] = [];
  const add = (v: unknown): void => {
    if ((typeof v === 'string' && !v.includes('{{')) || typeof v === 'number') out.push(String(v));
  };
  const walk = (value: unknown, key: string | undefined, inBody: boolean, depth: number): void => {
    if (depth > 64 || value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const v of value) walk(v, key, inBody, depth + 1);
      return;
    }
    if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (key !== undefined && /headers$/i.test(key) && typeof v === 'string') {
          if (k.toLowerCase() === keyHeader.toLowerCase() || !secretHeader.test(k)) continue;
          add(v);
          const credential = /^[A-Za-z][\w-]*\s+(\S+)$/.exec(v.trim())?.[1];
          if (credential !== undefined) add(credential);
          continue;
        }
        if (inBody && isSecretField(k) && (typeof v !== 'object' || v === null)) add(v);
        walk(v, k, inBody || ((k === 'body' || k === 'form') && key === 'request'), depth + 1);
      }
      return;
    }
    if (typeof value !== 'string') return;
    if (key === 'path') for (const [name, v] of queryParams(value)) if (isSecretField(name)) add(v);
    if (key === 'url' && URL.canParse(value)) {
      const password = new URL(value).password;
      if (password !== '') {
        add(password);
        add(safeDecode(password));
      }
    }
  };
  walk(scenario, undefined, false, 0);
  return out;
}

function queryParams(path: string): [string, string][] {
  const q = path.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(path.slice(q + 1).split('#', 1)[0] ?? '').entries()];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
