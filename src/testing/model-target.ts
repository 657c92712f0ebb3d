/**
 * A small in-memory idempotent API for the fake context: by default it keeps every promise the
 * attacks check (keys required, scoped by caller and route, reserved atomically, requests
 * fingerprinted by their meaning, replays resent as stored, validation before the key store,
 * failures released). Each policy field switches one decision to the way real implementations
 * get it wrong, with the demo target's vocabulary (src/demo/idempotency.ts, whose vocabulary it borrows but not its code), so a unit test reads
 * `modelTarget({ scopeByPrincipal: false })` for "keys are not scoped to the caller".
 *
 * Everything is judged on the fake's virtual clock: an execution takes `processingMs`, and a
 * request arriving before it ends finds the key in flight. The model keeps its records in the
 * closure: create one per run, since every run's clock starts at 0 again.
 *
 * With hooks declared (the fake's `env.system`), the model also lives through crashes and store
 * outages: an execution works through the system's clock (so a crash kills it), and the last
 * policy fields say what survives: where keys live, whether the write commits with the stored
 * response, what becomes of a reservation whose process died, and what the target does while its
 * key store is down. Their defaults are the correct, durable, transactional design.
 */
import { canonicalJson } from '../scenario/canonical-json.js';
import { FORM_MEDIA_TYPE } from '../scenario/request-body.js';
import type { JsonValue, KeyPlacement } from '../scenario/types.js';
import { FAKE_BODY } from './fake-context.js';
import type { FakeAnswer, FakeRequest, FakeResponse, FakeTarget, FakeTargetEnv } from './fake-target.js';
import type { FakeSystem } from './fake-system.js';

export interface ModelPolicy {
  keyHeader: string;
  /** Where the key travels; default the header `keyHeader`. */
  keyIn: KeyPlacement | undefined;
  /** false: the key is ignored and every request executes, with or without one. */
  honourKeys: boolean;
  /** false: a request without a key executes (unprotected) instead of a 400. */
  keyRequired: boolean;
  /** How the sent key becomes the stored one (flaws: case folding, truncation). */
  storedKey: (key: string) => string;
  /** Scope keys by the caller's Authorization header. */
  scopeByPrincipal: boolean;
  /** Scope keys by method and path; false: one table for every route, whose hits are replayed uncompared. */
  scopeByRoute: boolean;
  /** 'node': each instance (URL origin) keeps its own keys. */
  storeScope: 'shared' | 'node';
  /** What identifies "the same request"; default method, path with query, media type and canonical JSON. */
  fingerprint: (req: FakeRequest) => string;
  /** 'execute': a request arriving while the key's first request runs executes too (check-then-act). */
  inFlight: 'conflict' | 'execute';
  /**
   * Check-then-act with a gap: a first request's reservation is written this many ms after it
   * arrived, so a duplicate arriving sooner finds nothing and executes too. 0: reserved atomically.
   */
  raceWindowMs: number;
  /**
   * The reservation lapses this many ms after the request arrived, done or not (a lock with a TTL
   * shorter than the work); undefined: it lasts until the result is stored.
   */
  lockTtlMs: number | undefined;
  /** true: validation failures are stored against the key and replayed to every later request. */
  storeRejections: boolean;
  /** 'divergent': replays are rebuilt (200, another body, no replay header). */
  replay: 'faithful' | 'divergent';
  /** Set on replays (not on first answers); undefined: none. */
  replayHeader: string | undefined;
  /** true: a completed request is replayed for any key whose request has the same fingerprint. */
  dedupeByBody: boolean;
  /** true: a rejected mismatch replaces the stored fingerprint (IK-22). */
  overwriteOnMismatch: boolean;
  /** Keys are forgotten this long after their request completed; undefined: never. */
  keyTtlMs: number | undefined;
  /** The key store holds at most this many keys, evicting the least recently used; undefined: no cap. */
  storeCapacity: number | undefined;
  /** 'abandon': a client that hangs up before the answer cancels the execution, and the key stays reserved. */
  onDisconnect: 'continue' | 'abandon';
  /** 'execute': half a request (a connection reset mid-body) is executed. */
  tornRequests: 'ignore' | 'execute';
  /**
   * Where the side effect happens: 'none' in the target only; otherwise the fake downstream (the
   * `sink` observer) is called, and a call whose answer was lost is retried with the key forwarded
   * ('keyed', the provider deduplicates it) or without it ('unkeyed').
   */
  downstream: 'none' | 'keyed' | 'unkeyed';
  /** true: a failed execution (provider 5xx) is stored against the key instead of releasing it. */
  storeFailures: boolean;
  /** How long an execution runs, in virtual ms. */
  processingMs: number;
  /** Whether the body is acceptable; default: JSON whose fields keep the types of FAKE_BODY. */
  validate: (req: FakeRequest) => boolean;
  /** (With hooks.) 'memory': keys live in the process and are gone after a restart; 'durable': they survive it. */
  keyStore: 'durable' | 'memory';
  /**
   * (With hooks.) 'atomic': the write commits together with the stored response, so a crash in
   * between leaves neither; 'immediate': the write is committed first, and survives the crash.
   */
  effects: 'atomic' | 'immediate';
  /** (With hooks.) A reservation whose process died: 'recover' lets the next retry run; 'keep' leaves it in flight. */
  abandoned: 'recover' | 'keep';
  /** (With hooks.) A keyed request while the key store is down: refused (503), executed undeduplicated, left hanging, or the process dies. */
  onStoreDown: 'refuse' | 'execute' | 'hang' | 'die';
  /** (With hooks.) false: the store comes back empty after an outage (a cache without persistence). */
  storeKeepsKeys: boolean;
}

interface KeyRecord {
  fingerprint: string;
  route: string;
  /** From when other requests see the record (raceWindowMs). */
  visibleAt: number;
  /** Until when an unfinished record holds the key (lockTtlMs). */
  lockedUntil: number;
  doneAt: number;
  response: FakeResponse | undefined;
  rejection: boolean;
  /** The process boot and store epoch it was written in (with hooks). */
  boot: number;
  epoch: number;
  /** Its execution died with the process: nobody will complete it. */
  orphan: boolean;
}

/** Every field of `shape` present in the JSON body with the same JSON type. */
export function sameShape(shape: { readonly [key: string]: JsonValue }): (req: FakeRequest) => boolean {
  const typeOf = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  return (req) => {
    if (req.body === undefined) return true;
    const json = req.json();
    if (typeOf(json) !== 'object') return false;
    const body = json as Record<string, unknown>;
    return Object.entries(shape).every(([k, v]) => k in body && typeOf(body[k]) === typeOf(v));
  };
}

/** Method, path with query, media type and the body's meaning: canonical JSON, or the form's decoded fields sorted. */
export function canonicalFingerprint(req: FakeRequest): string {
  const media = req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  const json = req.json();
  const body =
    json !== undefined
      ? canonicalJson(json)
      : media === FORM_MEDIA_TYPE
        ? JSON.stringify([...new URLSearchParams(req.body ?? '')].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : (req.body ?? '');
  return `${req.method} ${req.path} ${media} ${body}`;
}

/** The key as the target reads it from its placement (a header, a JSON body field, a form field, a query parameter). */
export function keyFrom(req: FakeRequest, keyIn: KeyPlacement): string | undefined {
  switch (keyIn.in) {
    case 'header':
      return req.header(keyIn.name);
    case 'query':
      return new URL(req.url).searchParams.get(keyIn.name) ?? undefined;
    case 'form':
      return new URLSearchParams(req.body ?? '').get(keyIn.name) ?? undefined;
    case 'body': {
      let cur: unknown = req.json();
      for (const part of keyIn.path)
        cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
      return typeof cur === 'string' ? cur : undefined;
    }
  }
}

export function modelTarget(overrides: Partial<ModelPolicy> = {}): FakeTarget {
  const p: ModelPolicy = {
    keyHeader: 'Idempotency-Key',
    keyIn: undefined,
    honourKeys: true,
    keyRequired: true,
    storedKey: (k) => k,
    scopeByPrincipal: true,
    scopeByRoute: true,
    storeScope: 'shared',
    fingerprint: canonicalFingerprint,
    inFlight: 'conflict',
    raceWindowMs: 0,
    lockTtlMs: undefined,
    storeRejections: false,
    replay: 'faithful',
    replayHeader: 'Idempotent-Replayed',
    dedupeByBody: false,
    overwriteOnMismatch: false,
    keyTtlMs: undefined,
    storeCapacity: undefined,
    onDisconnect: 'continue',
    tornRequests: 'ignore',
    downstream: 'none',
    storeFailures: false,
    processingMs: 1,
    validate: sameShape(FAKE_BODY),
    keyStore: 'durable',
    effects: 'atomic',
    abandoned: 'recover',
    onStoreDown: 'refuse',
    storeKeepsKeys: true,
    ...overrides,
  };
  // Map order is recency order: a key read or written moves to the end, the first one is evicted.
  const records = new Map<string, KeyRecord>();
  const store = (scope: string, record: KeyRecord): void => {
    records.delete(scope);
    records.set(scope, record);
    const cap = p.storeCapacity;
    for (const oldest of records.keys()) {
      if (cap === undefined || records.size <= cap) break;
      records.delete(oldest);
    }
  };
  const byBody = new Map<string, KeyRecord>();
  let executions = 0;
  /** A write executed: a payment with the next id. */
  const created = (): FakeResponse => {
    const id = `pay_${++executions}`;
    return {
      status: 201,
      body: { id, status: 'succeeded' },
      headers: { location: `/payments/${id}` },
      writes: 1,
      latencyMs: p.processingMs,
    };
  };
  // Answers that execute nothing (refusals, conflicts, replays) come back at once; executions take processingMs.
  const latencyMs = 1;

  const execute = (env: FakeTargetEnv, key: string | undefined): FakeResponse => {
    if (p.downstream !== 'none') {
      const sink = env.downstream;
      if (!sink) throw new Error("modelTarget({ downstream }) needs the fake's 'sink' observer");
      const reference = key ?? '';
      let call = sink.call(reference, key);
      if (!call.answered) call = sink.call(reference, p.downstream === 'keyed' ? key : undefined);
      if (!call.answered || call.status >= 500)
        return { status: 502, body: { error: 'provider_failed' }, latencyMs: p.processingMs, writes: 0 };
    }
    return created();
  };

  /**
   * An execution in a process that can crash: the write (first, or committed with the answer),
   * the provider call (a lost answer waited out, then retried), the work; a crash at any await
   * ends it with the connection reset and whatever was already committed.
   */
  const executeInProcess = async (
    env: FakeTargetEnv,
    sys: FakeSystem,
    key: string | undefined,
  ): Promise<FakeAnswer> => {
    const committed = p.effects === 'immediate' ? 1 : 0;
    const killed: FakeAnswer = { error: 'reset', message: 'fake: the target process died', writes: committed };
    if (p.downstream !== 'none') {
      const sink = env.downstream;
      if (!sink) throw new Error("modelTarget({ downstream }) needs the fake's 'sink' observer");
      const reference = key ?? '';
      let call = sink.call(reference, key);
      if (!call.answered) {
        if ((await sys.work(p.processingMs)) === 'killed') return killed;
        call = sink.call(reference, p.downstream === 'keyed' ? key : undefined);
      }
      if (!call.answered || call.status >= 500)
        return { status: 502, body: { error: 'provider_failed' }, latencyMs: p.processingMs, writes: committed };
    }
    if ((await sys.work(p.processingMs)) === 'killed') return killed;
    return created();
  };

  const replay = (rec: KeyRecord, req: FakeRequest): FakeAnswer => {
    const stored = rec.response ?? { status: 500 };
    if (p.replay === 'divergent' && stored.status < 300) {
      const body = typeof stored.body === 'object' && stored.body !== null ? stored.body : {};
      return { status: 200, body: { ...body, replayedAt: req.at }, latencyMs };
    }
    const headers = { ...stored.headers, ...(p.replayHeader !== undefined ? { [p.replayHeader]: 'true' } : {}) };
    return { ...stored, headers, writes: 0, latencyMs };
  };

  let servedRun: object | undefined;
  return (req, env) => {
    servedRun ??= env.run;
    // Every run's clock starts at 0: records from another run would look in flight forever.
    if (env.run !== servedRun) throw new Error('a modelTarget serves one run: create a new one for each run');
    // A torn request is never answered (the connection is gone); 'execute' starts work before reading the body.
    const keyIn = p.keyIn ?? { in: 'header', name: p.keyHeader };
    if (req.torn)
      return p.tornRequests === 'execute' ? execute(env, keyFrom(req, keyIn)) : { error: 'reset', latencyMs };
    const sent = keyFrom(req, keyIn);
    const key = sent === undefined || sent.trim() === '' ? undefined : sent;
    const valid = p.validate(req);
    const invalid: FakeResponse = { status: 400, body: { error: 'invalid_body' }, latencyMs };
    if (!p.honourKeys || key === undefined) {
      if (p.honourKeys && p.keyRequired) return { status: 400, body: { error: 'key_required' }, latencyMs };
      return valid ? execute(env, key) : invalid;
    }
    if (!valid && !p.storeRejections) return invalid;
    const sys = env.system;
    if (sys && !sys.storeUp) {
      switch (p.onStoreDown) {
        case 'refuse':
          return { status: 503, body: { error: 'store_unavailable' }, headers: { 'retry-after': '1' }, latencyMs };
        case 'hang':
          return { error: 'timeout', message: 'fake: the target waits on its store', latencyMs: 60_000 };
        case 'die':
          sys.crash();
          return { error: 'reset', message: 'fake: the target died with its store', latencyMs };
        case 'execute':
          return valid ? executeInProcess(env, sys, key) : invalid;
      }
    }

    const route = `${req.method} ${req.path.split('?')[0] ?? ''}`;
    const scope = [
      p.scopeByPrincipal ? (req.header('authorization') ?? '') : '',
      p.scopeByRoute ? route : '',
      p.storeScope === 'node' ? req.origin : '',
      p.storedKey(key),
    ].join('\u0000');
    let rec = records.get(scope);
    if (rec && p.keyTtlMs !== undefined && rec.doneAt + p.keyTtlMs <= req.at) {
      records.delete(scope);
      rec = undefined;
    }
    if (rec && sys && forgotten(rec, sys)) {
      records.delete(scope);
      rec = undefined;
    }
    if (rec) store(scope, rec);
    // Not written yet (the check-then-act gap), or an unfinished record whose lock has lapsed.
    if (rec && (req.at < rec.visibleAt || (req.at < rec.doneAt && req.at >= rec.lockedUntil))) rec = undefined;
    const fingerprint = p.fingerprint(req);
    const written = { boot: sys?.boot ?? 1, epoch: sys?.storeEpoch ?? 1, orphan: false };
    if (!rec && !valid) {
      store(scope, {
        fingerprint,
        route,
        visibleAt: req.at,
        lockedUntil: req.at,
        doneAt: req.at,
        response: invalid,
        rejection: true,
        ...written,
      });
      return invalid;
    }
    if (!rec && p.dedupeByBody) {
      const twin = byBody.get(fingerprint);
      if (twin && twin.doneAt <= req.at) return replay(twin, req);
    }
    if (rec && req.at < rec.doneAt) {
      if (p.inFlight === 'conflict')
        return fingerprint === rec.fingerprint
          ? { status: 409, body: { error: 'in_flight' }, headers: { 'retry-after': '1' }, latencyMs }
          : { status: 422, body: { error: 'key_reused' }, latencyMs };
      return execute(env, key);
    }
    if (rec) {
      const uncompared = rec.rejection || (!p.scopeByRoute && rec.route !== route);
      if (uncompared || fingerprint === rec.fingerprint) return replay(rec, req);
      if (p.overwriteOnMismatch) rec.fingerprint = fingerprint;
      return { status: 422, body: { error: 'key_reused' }, latencyMs };
    }

    const doneAt = req.at + p.processingMs;
    const record: KeyRecord = {
      fingerprint,
      route,
      visibleAt: req.at + p.raceWindowMs,
      lockedUntil: p.lockTtlMs === undefined ? doneAt : req.at + p.lockTtlMs,
      doneAt,
      response: undefined,
      rejection: false,
      ...written,
    };
    store(scope, record);
    if (p.onDisconnect === 'abandon' && req.hangUpAfterMs !== undefined && p.processingMs > req.hangUpAfterMs) {
      // The execution is cancelled with the request, and nothing releases the reservation.
      record.doneAt = Number.POSITIVE_INFINITY;
      if (p.lockTtlMs === undefined) record.lockedUntil = Number.POSITIVE_INFINITY;
      return { error: 'aborted', latencyMs: p.processingMs };
    }
    const finish = (response: FakeResponse): FakeResponse => {
      if (response.status >= 500 && !p.storeFailures) records.delete(scope);
      else {
        record.response = response;
        if (p.dedupeByBody && response.status < 300) byBody.set(fingerprint, record);
      }
      return response;
    };
    if (!sys) return finish(execute(env, key));
    return executeInProcess(env, sys, key).then((answer) => {
      if ('status' in answer) return finish(answer);
      // Died with the process: nobody completes or releases the reservation.
      record.orphan = true;
      record.doneAt = Number.POSITIVE_INFINITY;
      if (p.lockTtlMs === undefined) record.lockedUntil = Number.POSITIVE_INFINITY;
      return answer;
    });
  };

  /** A record the target can no longer see, or (recovering) a reservation whose owner died. */
  function forgotten(rec: KeyRecord, sys: FakeSystem): boolean {
    if (p.keyStore === 'memory' && rec.boot !== sys.boot) return true;
    if (!p.storeKeepsKeys && rec.epoch !== sys.storeEpoch) return true;
    return rec.orphan && p.abandoned === 'recover';
  }
}
