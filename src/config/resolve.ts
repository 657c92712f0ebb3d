/**
 * Validated scenario -> ResolvedScenario: profiles applied, defaults filled, durations in ms,
 * maps turned into ordered lists. No validation happens here; the schema has done it all.
 */
import { dirname } from 'node:path';
import { DEFAULT_SECRET_HEADERS, isSecretField, namePattern } from '../scenario/credentials.js';
import {
  HOOK_NAMES,
  type AttackSpec,
  type EndpointContract,
  type HookName,
  type HookSpec,
  type ResolvedEndpoint,
  type ResolvedScenario,
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
  /** For default-suite attacks whose options do not default cleanly: a registry bug, reported not thrown. */
  report: (path: PathSegment[], message: string) => void,
): ResolvedScenario {
  const settings = input.settings ?? undefined;
  const endpoints: ResolvedEndpoint[] = Object.entries(input.endpoints).map(([name, ep]) => ({
    name,
    request: {
      method: ep.request.method,
      path: ep.request.path,
      headers: { ...ep.request.headers },
      body: ep.request.body,
    },
    key: ep.key,
    vary: { ...ep.vary },
    observe: (ep.observe ?? []).flatMap((item, index) =>
      Object.entries(item).map(([id, options]) => ({ id, options, path: `endpoints.${name}.observe[${index}]` })),
    ),
    attacks: resolveAttacks(ep.attacks, rawAttackOrder(raw, name), ext, (m) => report(['endpoints', name], m)),
    // Absent unless declared, so resolved endpoints of existing scenarios stay as they were.
    ...(ep.contract ? { contract: endpointContract(ep.contract) } : {}),
  }));

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
    { target: input.target, endpoints: input.endpoints },
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
    settings: {
      seed: settings?.seed,
      failOn: settings?.failOn ?? 'high',
      maxRequests: settings?.maxRequests ?? 10_000,
      rate: settings?.rate,
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

function resolveAttacks(
  attacks: Readonly<Record<string, unknown>> | null | undefined,
  order: readonly string[],
  ext: ExtensionSchemas,
  report: (message: string) => void,
): AttackSpec[] {
  if (attacks == null) {
    // The default suite's options come from each attack's own defaults.
    return ext.defaultSuite.map((id) => {
      const schema = ext.attacks[id];
      const parsed = schema?.safeParse({});
      if (!parsed?.success) {
        report(
          schema
            ? `default attack '${id}' needs options; list it under attacks with its options`
            : `default attack '${id}' is not registered`,
        );
      }
      return { id, options: parsed?.data };
    });
  }
  const ids = [...order.filter((id) => id in attacks), ...Object.keys(attacks).filter((id) => !order.includes(id))];
  return ids.map((id) => ({ id, options: attacks[id] }));
}

function rawAttackOrder(raw: unknown, endpoint: string): string[] {
  const attacks = child(child(child(raw, 'endpoints'), endpoint), 'attacks');
  return attacks !== null && typeof attacks === 'object' ? Object.keys(attacks) : [];
}

function child(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function endpointContract(c: { ttl?: number | undefined; errorsReplayed?: boolean | undefined }): EndpointContract {
  const out: EndpointContract = {};
  if (c.ttl !== undefined) out.ttlMs = c.ttl;
  if (c.errorsReplayed !== undefined) out.errorsReplayed = c.errorsReplayed;
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
        walk(v, k, inBody || (k === 'body' && key === 'request'), depth + 1);
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
