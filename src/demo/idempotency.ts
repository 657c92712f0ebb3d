/**
 * The idempotency layer, written once. A `LayerPolicy` holds every decision where real
 * implementations go wrong; the correct policy makes each the safe way, and each flaw changes
 * exactly one decision (see policies.ts), so a flaw never drags other bugs along with it.
 */
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { DownstreamError, type DownstreamCaller } from './downstream.js';
import type { Ledger } from './ledger.js';
import { parseJson, type Operation } from './payments.js';
import { apiError } from './responses.js';
import type { KeyRecord, KeyStore, Scope, StoredResponse } from './store.js';

export const KEY_MAX_LENGTH = 255;

/** What a fingerprint may look at; each fingerprint strategy picks its part. */
export interface FingerprintInput {
  readonly method: string;
  /** Path inside the variant plus query string, e.g. `/payments?x=1`. */
  readonly target: string;
  /** The parsed body (already validated). */
  readonly body: unknown;
  readonly raw: Buffer;
}

export type Fingerprint = (input: FingerprintInput) => string;

export type Reservation =
  | { readonly kind: 'atomic' }
  /** Look up, wait, then insert without re-checking: the gap is where concurrent duplicates slip in. */
  | { readonly kind: 'check-then-act'; readonly window: number | 'one-tick' };

export interface LayerPolicy {
  /** false: the Idempotency-Key is ignored entirely and every request executes. */
  readonly honourKeys: boolean;
  /** false: a request without a key executes (unprotected) instead of a 400. */
  readonly keyRequired: boolean;
  /** How the key is turned into the stored key; the ledger always keeps the key as sent. */
  readonly storedKey: (key: string) => string;
  readonly scopeByPrincipal: boolean;
  /**
   * false models one key table shared by every endpoint whose fingerprint check lives in each
   * endpoint's own code: a hit created by another route is never compared, only replayed.
   */
  readonly scopeByRoute: boolean;
  readonly fingerprint: Fingerprint;
  readonly reservation: Reservation;
  /** 'execute': in-flight records are invisible, only completed ones are looked at. */
  readonly inFlight: 'conflict' | 'execute';
  /** true: validation failures are stored against the key like any other response. */
  readonly storeRejections: boolean;
  /** 'divergent': replays are rebuilt (200, fresh timestamp, no replay header) instead of resent. */
  readonly replay: 'faithful' | 'divergent';
  /** true: a completed body is also indexed by its fingerprint and replayed for any key. */
  readonly dedupeByBody: boolean;
  /**
   * Where a keyed request's key is read (by the stateful API's routes): 'documented', where each
   * route documents it (a header, the body's idempotency_key); 'header', only the Idempotency-Key
   * header, as a generic middleware does, so a key in the body goes unread and the request runs
   * unprotected.
   */
  readonly keySource: 'documented' | 'header';
  /**
   * What a refund's record is stored under (read by the stateful API's refund route): 'charge', the
   * route and the key; 'charge-version', also the charge's refunded amount at the time, so once the
   * refund changes the charge its retry finds no record.
   */
  readonly refundScope: 'charge' | 'charge-version';
  /** true: a failed execution (5xx) is stored against the key instead of releasing it. */
  readonly storeFailures: boolean;
  /** 'unkeyed': the retry of a provider call whose answer was lost omits the Idempotency-Key. */
  readonly downstreamRetry: 'keyed' | 'unkeyed';
  /** Set: keys are kept this long whatever the server was configured (and the contract promises). */
  readonly keyTtlMs: number | undefined;
  /**
   * 'abandon': the execution is cancelled when the client disconnects (a handler bound to the
   * request's context) and nothing releases the reservation, so the key stays in flight until it
   * expires. 'continue': the execution finishes and stores its result whoever is still listening.
   */
  readonly onDisconnect: 'continue' | 'abandon';
  /** 'node': each server instance keeps its own key store (read by the cluster, not the layer). */
  readonly storeScope: 'shared' | 'node';
  /**
   * Set: the key store keeps at most this many keys, evicting the least recently used (the server
   * puts a CappedKeyStore in front of the variant's store; the layer does not read it).
   */
  readonly storeCapacity: number | undefined;
  /**
   * 'store': keys live in the key store the server is given (a database that outlives the
   * process); 'process': in the process's own memory, gone with it on a restart (read by the server).
   */
  readonly keyStorage: 'store' | 'process';
  /**
   * 'recover': a reservation whose owner died (a crashed process) is taken over by the next retry;
   * 'keep': it stays in flight, and every retry is refused until the key expires.
   */
  readonly abandoned: 'recover' | 'keep';
  /** 'refuse': a key store that cannot be reached means 503; 'execute': the request runs without deduplication (fails open). */
  readonly onStoreError: 'refuse' | 'execute';
}

/**
 * Recursively key-sorted JSON, so serializer order and whitespace do not change the fingerprint.
 * The same rule as the tool's scenario/canonical-json.ts, written again on purpose: the demo is the
 * target under audit and imports nothing of the auditor, so a bug in one cannot hide in the other.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sha256(...parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** Method, target (query included, IK-18) and the canonical body. */
export const semanticFingerprint: Fingerprint = ({ method, target, body }) =>
  sha256(`${method} ${target}\n`, canonicalJson(body));

const correctPolicy: LayerPolicy = {
  honourKeys: true,
  keyRequired: true,
  storedKey: (key: string) => key,
  scopeByPrincipal: true,
  scopeByRoute: true,
  fingerprint: semanticFingerprint,
  reservation: { kind: 'atomic' },
  inFlight: 'conflict',
  storeRejections: false,
  replay: 'faithful',
  dedupeByBody: false,
  keySource: 'documented',
  refundScope: 'charge',
  storeFailures: false,
  downstreamRetry: 'keyed',
  keyTtlMs: undefined,
  storeScope: 'shared',
  onDisconnect: 'continue',
  storeCapacity: undefined,
  keyStorage: 'store',
  abandoned: 'recover',
  onStoreError: 'refuse',
};
export const CORRECT_POLICY: LayerPolicy = Object.freeze(correctPolicy);

/** Visible ASCII only: rejects empty keys, spaces, control characters, non-ASCII and joined duplicates (", "). */
export function isValidKey(key: string): boolean {
  return key.length >= 1 && key.length <= KEY_MAX_LENGTH && /^[\x21-\x7e]+$/.test(key);
}

export interface LayerRequest {
  readonly method: string;
  readonly target: string;
  readonly principal: string;
  /** The Idempotency-Key header value; undefined when absent. */
  readonly key: string | undefined;
  readonly raw: Buffer;
  /** Per-request override of the simulated work, so a test can hold one request in flight longer. */
  readonly processingMs: number | undefined;
  /** Make execution throw before the side effect (exercises releasing the reservation). */
  readonly fail: boolean;
  /** Aborted when the client goes away before its answer was sent. */
  readonly clientGone?: AbortSignal;
}

export interface LayerContext {
  readonly policy: LayerPolicy;
  readonly store: KeyStore;
  readonly ledger: Ledger;
  /** URL prefix of the variant, for Location headers. */
  readonly prefix: string;
  readonly ttlMs: number;
  readonly processingMs: number;
  /** Artificial cost of the key store per keyed request (latency-overhead's demo); default 0. */
  readonly keyCostMs?: number;
  readonly now?: () => number;
  /** The provider operations call for their side effect (the sink, in audits). */
  readonly downstream?: DownstreamCaller;
}

/** A request that parsed and validated: the whole body (for the fingerprint) and the typed input. */
type Parsed<T> =
  { readonly ok: true; readonly body: unknown; readonly value: T } | { readonly ok: false; readonly detail: string };

export class SimulatedFailure extends Error {
  constructor() {
    super('simulated failure before the side effect (X-Demo-Fail)');
    this.name = 'SimulatedFailure';
  }
}

/** The abandon-on-disconnect flaw: the execution was cancelled with its client; the key is left reserved. */
export class AbandonedExecution extends Error {
  constructor() {
    super('the client went away: execution abandoned, reservation left in place');
    this.name = 'AbandonedExecution';
  }
}

export async function handleIdempotent<T>(
  ctx: LayerContext,
  op: Operation<T>,
  req: LayerRequest,
): Promise<StoredResponse> {
  const { policy, store } = ctx;
  const now = ctx.now ?? Date.now;
  const keyTtlMs = policy.keyTtlMs ?? ctx.ttlMs;

  const execute = async (input: T, ledger: Ledger = ctx.ledger): Promise<StoredResponse> => {
    const work = req.processingMs ?? ctx.processingMs;
    if (work > 0) await sleep(work);
    if (policy.onDisconnect === 'abandon' && req.clientGone?.aborted === true) throw new AbandonedExecution();
    if (req.fail) throw new SimulatedFailure();
    return op.execute(input, {
      key: req.key ?? null,
      principal: req.principal,
      prefix: ctx.prefix,
      ledger,
      ...(ctx.downstream ? { downstream: ctx.downstream } : {}),
    });
  };
  const validate = (): Parsed<T> => {
    const parsed = (op.parse ?? parseJson)(req.raw);
    if (!parsed.ok) return parsed;
    const validation = op.validate(parsed.value);
    return validation.ok ? { ok: true, body: parsed.value, value: validation.value } : validation;
  };
  const executeUnprotected = async (): Promise<StoredResponse> => {
    const request = validate();
    if (!request.ok) return apiError(400, 'invalid_request', request.detail);
    return executeOr500(() => execute(request.value));
  };

  if (!policy.honourKeys) return executeUnprotected();
  if (req.key === undefined) {
    return policy.keyRequired ? apiError(400, 'idempotency_key_missing') : executeUnprotected();
  }
  if (!isValidKey(req.key)) {
    return apiError(
      400,
      'idempotency_key_invalid',
      `Idempotency-Key must be 1-${KEY_MAX_LENGTH} visible ASCII characters, sent once`,
    );
  }

  // Stands in for the store round trip every keyed request pays, first-time and replay alike.
  if (ctx.keyCostMs !== undefined && ctx.keyCostMs > 0) await sleep(ctx.keyCostMs);

  const scope: Scope = {
    index: 'key',
    principal: policy.scopeByPrincipal ? req.principal : null,
    route: policy.scopeByRoute ? op.route : null,
    key: policy.storedKey(req.key),
  };

  // Validation precedes any store access, so a rejected request leaves the key unused (IK-14).
  const request = validate();
  if (!request.ok) {
    const rejection = apiError(400, 'invalid_request', request.detail);
    if (policy.storeRejections) {
      const outcome = await store.reserve(scope, { fingerprint: null, route: op.route, ttlMs: keyTtlMs });
      if (outcome.reserved) await store.complete(scope, rejection);
    }
    return rejection;
  }

  const fingerprint = policy.fingerprint({ method: req.method, target: req.target, body: request.body, raw: req.raw });
  const bodyScope: Scope = { ...scope, index: 'body', key: fingerprint };
  let existing: KeyRecord | undefined;
  try {
    if (policy.dedupeByBody) {
      const hit = await store.get(bodyScope);
      if (hit?.state === 'done') return replay(policy, hit.response);
    }
    existing = await lookUpOrReserve(ctx, scope, fingerprint, op.route, keyTtlMs, now);
  } catch (err) {
    // The key store cannot be used: without it nothing can be deduplicated.
    if (policy.onStoreError === 'execute') return executeOr500(() => execute(request.value));
    return apiError(503, 'store_unavailable', `the idempotency key store is unavailable: ${errorText(err)}`, {
      'retry-after': '1',
    });
  }
  if (existing?.state === 'in-flight' && policy.inFlight === 'execute') existing = undefined;

  if (existing) {
    const comparable = existing.route === op.route;
    if (comparable && existing.fingerprint !== null && existing.fingerprint !== fingerprint) {
      return apiError(422, 'idempotency_key_mismatch', 'this key was used with a different request');
    }
    if (existing.state === 'in-flight') {
      return apiError(409, 'request_in_progress', 'a request with this key is still being processed', {
        'retry-after': '1',
      });
    }
    return replay(policy, existing.response);
  }

  let response: StoredResponse;
  const atomic = store.atomically?.bind(store);
  try {
    response = atomic ? await atomic(scope, (ledger) => execute(request.value, ledger)) : await execute(request.value);
  } catch (err) {
    // Nobody is listening and, by the flaw, nobody cleans up: the record stays in flight.
    if (err instanceof AbandonedExecution) return failure(err);
    if (policy.storeFailures) {
      const stored = failure(err);
      await store.complete(scope, stored);
      return stored;
    }
    // Nothing was applied, so the key must not stay reserved: the client's retry should run.
    await store.release(scope);
    return failure(err);
  }
  // Outside the try: once the effect is applied, a failing completion must not release the key.
  if (!atomic) await store.complete(scope, response);
  if (policy.dedupeByBody) {
    const createdAt = now();
    await store.put(bodyScope, {
      state: 'done',
      fingerprint,
      route: op.route,
      createdAt,
      expiresAt: createdAt + keyTtlMs,
      response,
    });
  }
  return response;
}

/** The record a request finds, or undefined when it now holds the reservation (atomically, or by check-then-act). */
async function lookUpOrReserve(
  ctx: LayerContext,
  scope: Scope,
  fingerprint: string,
  route: string,
  ttlMs: number,
  now: () => number,
): Promise<KeyRecord | undefined> {
  const { policy, store } = ctx;
  if (policy.reservation.kind === 'atomic') {
    const outcome = await store.reserve(scope, {
      fingerprint,
      route,
      ttlMs,
      recoverAbandoned: policy.abandoned === 'recover',
    });
    return outcome.reserved ? undefined : outcome.existing;
  }
  const existing = await store.get(scope);
  if (existing) return existing;
  await (policy.reservation.window === 'one-tick' ? nextTurn() : sleep(policy.reservation.window));
  const createdAt = now();
  await store.put(scope, { state: 'in-flight', fingerprint, route, createdAt, expiresAt: createdAt + ttlMs });
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function executeOr500(run: () => Promise<StoredResponse>): Promise<StoredResponse> {
  try {
    return await run();
  } catch (err) {
    return failure(err);
  }
}

function failure(err: unknown): StoredResponse {
  if (err instanceof DownstreamError) return apiError(err.status, 'downstream_failed', err.message);
  return apiError(500, 'internal_error', err instanceof Error ? err.message : String(err));
}

export function replay(policy: LayerPolicy, stored: StoredResponse): StoredResponse {
  if (policy.replay === 'faithful') {
    return { ...stored, headers: { ...stored.headers, 'idempotent-replayed': 'true' } };
  }
  return {
    status: stored.status === 201 ? 200 : stored.status,
    headers: stored.headers,
    body: refreshCreated(stored.body),
  };
}

/** What a layer that re-renders the resource instead of resending the bytes would produce. */
function refreshCreated(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'created' in parsed) {
      return JSON.stringify({ ...parsed, created: new Date().toISOString() });
    }
  } catch {
    // A stored body that is not JSON is resent as is.
  }
  return body;
}
