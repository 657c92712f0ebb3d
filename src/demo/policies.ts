/**
 * Each flaw as a one-decision change to the correct policy. Keeping them as overrides (rather than
 * copies of the layer) makes "differs from correct in exactly one way" visible at a glance.
 */
import { canonicalJson, CORRECT_POLICY, sha256, type LayerPolicy } from './idempotency.js';
import type { DemoVariant, FlawId } from './flaws.js';

export const TRUNCATED_KEY_LENGTH = 64;
/** The short-ttl flaw's retention: well under the few seconds the demo scenario's `short-ttl` endpoint declares. */
export const SHORT_TTL_MS = 800;
/** The lru-eviction flaw's key store capacity: far fewer keys than a day of traffic, or an eviction attack, creates. */
export const LRU_CAPACITY = 64;

export interface PolicyOptions {
  readonly raceWindow: number | 'one-tick';
}

function flawOverride(flaw: FlawId, opts: PolicyOptions): Partial<LayerPolicy> {
  switch (flaw) {
    case 'race':
      return { reservation: { kind: 'check-then-act', window: opts.raceWindow } };
    case 'ignore-key':
      return { honourKeys: false };
    case 'key-optional':
      return { keyRequired: false };
    case 'no-fingerprint':
      return { fingerprint: () => 'any' };
    case 'amount-only-fingerprint':
      return {
        fingerprint: ({ body }) =>
          sha256(canonicalJson(typeof body === 'object' && body !== null && 'amount' in body ? body.amount : null)),
      };
    case 'byte-exact-fingerprint':
      return { fingerprint: ({ method, target, raw }) => sha256(`${method} ${target}\n`, raw) };
    case 'endpoint-blind':
      return { scopeByRoute: false };
    case 'form-unfingerprinted':
      return {
        fingerprint: ({ method, target, raw }) => sha256(`${method} ${target}\n`, canonicalJson(jsonOrNull(raw))),
      };
    case 'body-key-ignored':
      return { keySource: 'header' };
    case 'refund-version-scoped':
      return { refundScope: 'charge-version' };
    case 'no-principal-scope':
      return { scopeByPrincipal: false };
    case 'error-stored':
      return { storeRejections: true };
    case 'key-truncation':
      return { storedKey: (key) => key.slice(0, TRUNCATED_KEY_LENGTH) };
    case 'case-fold':
      return { storedKey: (key) => key.toLowerCase() };
    case 'replay-divergent':
      return { replay: 'divergent' };
    case 'dedupe-by-body':
      return { dedupeByBody: true };
    case 'in-flight-executed':
      return { inFlight: 'execute' };
    case 'error-cached':
      return { storeFailures: true };
    case 'downstream-unkeyed-retry':
      return { downstreamRetry: 'unkeyed' };
    case 'short-ttl':
      return { keyTtlMs: SHORT_TTL_MS };
    case 'lru-eviction':
      return { storeCapacity: LRU_CAPACITY };
    case 'per-node-store':
      return { storeScope: 'node' };
    case 'abandon-on-disconnect':
      return { onDisconnect: 'abandon' };
    case 'memory-keys':
      return { keyStorage: 'process' };
    case 'orphaned-reservation':
      return { abandoned: 'keep' };
    case 'store-fails-open':
      return { onStoreError: 'execute' };
  }
}

/** What a JSON-only middleware sees of a body: the parsed JSON, or nothing. */
function jsonOrNull(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

/** The policy serving a variant's prefix: flawed only when that flaw is switched on. */
export function policyFor(variant: DemoVariant, flaws: ReadonlySet<FlawId>, opts: PolicyOptions): LayerPolicy {
  if (variant === 'correct' || !flaws.has(variant)) return CORRECT_POLICY;
  return { ...CORRECT_POLICY, ...flawOverride(variant, opts) };
}
