/**
 * The flaws the demo target can switch on, one per idempotency bug the attack catalogue looks for.
 * Each flaw gets its own URL prefix (variant), so enabling several never lets one hide another.
 */
export type FlawId =
  | 'abandon-on-disconnect'
  | 'amount-only-fingerprint'
  | 'body-key-ignored'
  | 'byte-exact-fingerprint'
  | 'case-fold'
  | 'dedupe-by-body'
  | 'downstream-unkeyed-retry'
  | 'endpoint-blind'
  | 'error-cached'
  | 'error-stored'
  | 'form-unfingerprinted'
  | 'ignore-key'
  | 'in-flight-executed'
  | 'key-optional'
  | 'key-truncation'
  | 'lru-eviction'
  | 'memory-keys'
  | 'no-fingerprint'
  | 'no-principal-scope'
  | 'orphaned-reservation'
  | 'per-node-store'
  | 'race'
  | 'refund-version-scoped'
  | 'replay-divergent'
  | 'short-ttl'
  | 'store-fails-open';

export const FLAW_DESCRIPTIONS: Readonly<Record<FlawId, string>> = {
  'abandon-on-disconnect':
    'a client that disconnects cancels the execution and its reservation is never released: every retry gets 409 until the key expires',
  'amount-only-fingerprint':
    'the fingerprint covers only body.amount: a reused key with another customer or currency is replayed',
  'body-key-ignored':
    'the layer reads only the Idempotency-Key header: the idempotency_key body field the v2 API documents is ignored, so every retry executes',
  'byte-exact-fingerprint':
    'the fingerprint hashes the raw body bytes: reordered keys or other whitespace are rejected as a mismatch',
  'case-fold': 'keys are lower-cased before storage: keys differing only in case collide',
  'dedupe-by-body': 'requests are deduplicated by body as well as key: a new key with the same body is replayed',
  'endpoint-blind': 'one key table for every endpoint: the same key on another endpoint replays its response',
  'downstream-unkeyed-retry':
    'a provider call whose answer was lost is retried without the Idempotency-Key: the provider applies it twice',
  'error-cached': 'a failed execution (5xx) is stored against the key: every retry replays the error',
  'error-stored': 'validation failures are stored against the key: a corrected retry replays the 400',
  'form-unfingerprinted':
    'the fingerprint covers the body parsed as JSON: a form body parses to nothing, so a reused key with a different form is replayed',
  'ignore-key': 'no idempotency at all: every request executes, with or without a key',
  'in-flight-executed': 'in-flight records are ignored: a duplicate sent while the original runs executes too',
  'key-optional': 'a request without a key executes instead of being rejected with 400',
  'key-truncation': 'keys are truncated to 64 characters: long keys sharing a prefix collide',
  'lru-eviction':
    'the key store holds at most 64 keys and evicts the least recently used: under traffic a key is forgotten long before its TTL and its retry executes again',
  'memory-keys':
    'keys are kept in the process’s memory, not in the store: a restart forgets them, and the retry of a request that died with the process runs again',
  'no-fingerprint': 'the body is never compared: a reused key with a different body gets the old response',
  'no-principal-scope': 'keys are not scoped to the caller: another principal gets the first caller’s response',
  'orphaned-reservation':
    'the reservation of a request that died with its process is never recovered: every retry gets 409 until the key expires',
  'per-node-store':
    'each server instance keeps its own key store: a duplicate that lands on another node executes again',
  'refund-version-scoped':
    "refund keys are stored under the charge's version: once a refund changes the charge, its retry is a new operation and refunds again",
  race: 'check-then-act: lookup and insert are separated by an await, so concurrent duplicates all execute',
  'short-ttl': 'keys are forgotten after 0.8 s, long before the TTL the API promises: a late retry executes again',
  'replay-divergent': 'replays answer 200 with a fresh timestamp and no Idempotent-Replayed header',
  'store-fails-open':
    'when the key store cannot be reached, requests run without deduplication instead of being refused: every retry during the outage executes',
};

/**
 * Variants whose flaws are about what outlives the process or survives an outage of the store:
 * they keep their keys and records in the demo database when the demo is given one (DemoOptions.database).
 */
export const DATABASE_VARIANTS: readonly DemoVariant[] = ['memory-keys', 'orphaned-reservation', 'store-fails-open'];

/** Sorted, so listings and `--flaws all` are deterministic. */
export const FLAWS: readonly FlawId[] = Object.freeze((Object.keys(FLAW_DESCRIPTIONS) as FlawId[]).sort());

/** A URL prefix of the demo target: one per flaw, plus `correct`, which is never flawed. */
export type DemoVariant = FlawId | 'correct';

export const VARIANTS: readonly DemoVariant[] = Object.freeze(['correct', ...FLAWS]);

/** Bad demo configuration (an unknown flaw name). Kept free of the CLI's error types so the demo stands alone. */
export class DemoConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoConfigError';
  }
}

export function isFlawId(name: string): name is FlawId {
  return Object.hasOwn(FLAW_DESCRIPTIONS, name);
}

/** `all`, `none`, or a comma-separated list of flaw ids (whitespace and empty items ignored). */
export function parseFlaws(spec: string): Set<FlawId> {
  const trimmed = spec.trim();
  if (trimmed === 'all') return new Set(FLAWS);
  if (trimmed === 'none' || trimmed === '') return new Set();
  const names = trimmed
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !isFlawId(n));
  if (unknown.length > 0) {
    const quoted = unknown.map((n) => `'${n}'`).join(', ');
    throw new DemoConfigError(
      `Unknown demo flaw${unknown.length > 1 ? 's' : ''} ${quoted}. Valid: all, none, ${FLAWS.join(', ')}`,
    );
  }
  return new Set(names.filter(isFlawId));
}
