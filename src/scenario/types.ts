/**
 * The resolved scenario: what `config/` produces and everything else consumes. Durations are
 * milliseconds, profiles are applied, environment variables are interpolated, defaults filled.
 */
import type { Severity } from './severity.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type ContractProfileName = 'ietf' | 'stripe' | 'lenient';

export interface Contract {
  profile: ContractProfileName;
  /** Header that carries the key, as written in the scenario (matching is case-insensitive). */
  keyHeader: string;
  keyRequired: boolean;
  /** How long the target promises to remember a key. */
  ttlMs: number;
  /** Acceptable statuses for a request without a key when `keyRequired`. */
  onMissingKey: readonly number[];
  /** Acceptable statuses when a key is reused with a different request. */
  onMismatch: readonly number[];
  /** Acceptable statuses for a duplicate that arrives while the original is still running. */
  onInFlight: readonly number[];
  /** Whether an in-flight duplicate may instead block and then receive the replay. */
  inFlightMayWait: boolean;
  /** A 5xx after execution began is replayed (true, Stripe) or the key is released for a retry (false). */
  errorsReplayed: boolean;
  /** Header the target sets on replayed responses, if it promises one. */
  replayHeader: string | undefined;
  /** Latency the idempotency layer may add to a request, per percentile (latency-overhead); absent: no limit. */
  maxOverhead?: OverheadLimits;
  /**
   * How long a key may stay refused as in progress after the request holding it died (a crashed
   * process, IK-28): within it a retry must get the stored result or run again, exactly once.
   */
  recoveryMs: number;
}

export const OVERHEAD_PERCENTILES = ['p50', 'p95', 'p99', 'max'] as const;
export type OverheadPercentile = (typeof OVERHEAD_PERCENTILES)[number];
/** Milliseconds a keyed request may take beyond an unkeyed one, at each declared percentile. */
export type OverheadLimits = Readonly<Partial<Record<OverheadPercentile, number>>>;

export interface RequestTemplate {
  method: string;
  /** Path plus optional query, may contain `{{key}}` and other template variables. */
  path: string;
  headers: Readonly<Record<string, string>>;
  /** The body, or undefined for bodiless requests. Its strings are templates too. */
  body: RequestBody | undefined;
}

/**
 * A request body of any kind, one representation for every attack (scenario/request-body.ts
 * renders, encodes and describes them). `contentType` overrides the kind's default media type.
 */
export type RequestBody = JsonBody | FormBody | TextBody;

export interface JsonBody {
  kind: 'json';
  value: JsonValue;
  contentType?: string;
}

/** application/x-www-form-urlencoded; nested objects and arrays already flattened to Stripe's bracket names. */
export interface FormBody {
  kind: 'form';
  fields: readonly FormField[];
  contentType?: string;
}

/** A form field: name (`metadata[order]`) and value, both as sent before URL-encoding. */
export type FormField = readonly [name: string, value: string];

export interface TextBody {
  kind: 'text';
  text: string;
  contentType: string;
}

/** Where the idempotency key travels. Absent on an endpoint: the header `contract.keyHeader`. */
export type KeyPlacement =
  | { in: 'header'; name: string }
  /** A JSON body field, as a dotted path (`payment.idempotency_key`). */
  | { in: 'body'; path: readonly string[] }
  | { in: 'form'; name: string }
  | { in: 'query'; name: string };

/** Where a setup step reads a value from its answer. */
export type CaptureSource =
  /** A JSONPath into the JSON body (first match). */
  | { from: 'json'; path: string; pattern?: string }
  /** A response header (case-insensitive name). */
  | { from: 'header'; name: string; pattern?: string };

export interface Capture {
  /** The template variable it defines (`charge_id` → `{{charge_id}}`). */
  name: string;
  source: CaptureSource;
}

/**
 * A request sent before the audited ones, to create what they need (a customer, a charge), with
 * the values it captures from the answer. Sent through the engine like any request, recorded as
 * setup, never counted as a side effect of the audit.
 */
export interface SetupStep {
  /** Unique slug, shown in reports (`setup charge`). */
  name: string;
  /** `run`: once per run (scenario, or endpoint before its first attack); `operation`: once per audited operation. */
  per: 'run' | 'operation';
  request: RequestTemplate;
  capture: readonly Capture[];
  /** Statuses that count as success; undefined: any 2xx. */
  expect: readonly number[] | undefined;
}

/** A clean-up request after the audit (also after Ctrl-C), for what setup created. */
export interface TeardownStep {
  /** Shown in reports (`teardown void-charge`); `teardown[i]` when the scenario names none. */
  name: string;
  /** `operation`: once for every operation whose setup ran (it renders `{{key}}` or a per-operation capture). */
  per: 'run' | 'operation';
  request: RequestTemplate;
  expect: readonly number[] | undefined;
}

/** A field that payload fuzzing may change, with the kind of value to generate. */
export type VaryKind = 'integer' | 'number' | 'string' | 'boolean';

export interface ObserverSpec {
  /** Observer id from the observer registry, e.g. `responseId`, `http`. */
  id: string;
  /** Options as validated by that observer's schema. */
  options: unknown;
  /** Where it was declared, for error messages: `endpoints.x.observe[0]`. */
  path: string;
}

export interface AttackSpec {
  id: string;
  /** Options as validated (and defaulted) by that attack's schema. */
  options: unknown;
}

export interface ResolvedEndpoint {
  name: string;
  request: RequestTemplate;
  /** Template for the idempotency key, e.g. `{{uuid}}`. */
  key: string;
  /** Where the key travels; absent: the header `contract.keyHeader`. */
  keyIn?: KeyPlacement;
  /** Steps before this endpoint's attacks (per run) or before each audited operation; absent: none. */
  setup?: readonly SetupStep[];
  /** Clean-up for this endpoint's setup; absent: none. */
  teardown?: readonly TeardownStep[];
  vary: Readonly<Record<string, VaryKind>>;
  observe: readonly ObserverSpec[];
  /**
   * Attacks to run: the default suite in its order, tuned, with the attacks the endpoint adds
   * after it (`suite: none`: only those it names, in the order written).
   */
  attacks: readonly AttackSpec[];
  /** Promises this endpoint makes differently from the scenario's contract (merged over it for its attacks). */
  contract?: EndpointContract;
  /** Where the endpoint is declared in the scenario file (its name's line and column), for locations in reports. */
  position?: { line: number; col: number };
}

export type EndpointContract = Partial<Pick<Contract, 'ttlMs' | 'errorsReplayed' | 'keyRequired'>>;

/** The principal whose credentials are the target's own headers; `target.principals` adds others. */
export const DEFAULT_PRINCIPAL = 'default';

export interface Principal {
  name: string;
  headers: Readonly<Record<string, string>>;
}

export interface ResolvedTarget {
  baseUrl: string;
  /** Individual instances behind the load balancer; empty when not declared. */
  nodes: readonly string[];
  headers: Readonly<Record<string, string>>;
  principals: readonly Principal[];
  timeoutMs: number;
  /** A cleartext target that speaks HTTP/2 with prior knowledge (h2c); https targets are probed by ALPN. */
  http2?: boolean;
  /**
   * Response header in which the target reports when each request arrived (integer nanoseconds on
   * its own clock), for the server arrival spread of bursts; absent: no arrival times.
   */
  arrivalHeader?: string;
  /** Hosts besides loopback the scenario may audit without declaring an environment. */
  allowHosts?: readonly string[];
  /** Declared environment of the target; required for hosts that are neither loopback nor allowed. */
  environment?: 'local' | 'staging' | 'production';
}

export interface Settings {
  seed: number | undefined;
  failOn: Severity;
  maxRequests: number;
  /** Requests per second outside bursts; undefined means unthrottled. */
  rate: number | undefined;
  /** Endpoints audited at once, in parallel lanes; undefined: the run's default. */
  concurrency?: number;
  /** Bytes of each body kept in reports. */
  bodyCap: number;
  /** Header names (case-insensitive) whose values are redacted everywhere. */
  secretHeaders: readonly string[];
}

/**
 * Commands that act on the staging system around the target (scenario `hooks:`): they kill and
 * restart the target, or take its key store away. They run only when the run is started with
 * consent (`--allow-hooks`), because scenario files come from repositories.
 */
export const HOOK_NAMES = ['crash', 'restart', 'ready', 'storeDown', 'storeUp'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

export interface HookSpec {
  /** Program and arguments, spawned without a shell (or `/bin/sh -c <script>` when `shell` is set). */
  argv: readonly string[];
  /** The scenario asked for a shell (`shell: <script>` instead of `run: [argv]`). */
  shell: boolean;
  timeoutMs: number;
  /** Where it runs: the scenario file's folder, so `./scripts/crash.sh` means the same from anywhere. */
  cwd: string;
}

export type HookSpecs = Readonly<Partial<Record<HookName, HookSpec>>>;

export interface ResolvedScenario {
  /** Absolute path of the file it came from. */
  file: string;
  version: 1;
  name: string;
  target: ResolvedTarget;
  contract: Contract;
  endpoints: readonly ResolvedEndpoint[];
  /** Steps before the first attack, once per run; their captures are visible everywhere. Absent: none. */
  setup?: readonly SetupStep[];
  /** Clean-up after the audit for the scenario's setup. Absent: none. */
  teardown?: readonly TeardownStep[];
  settings: Settings;
  /** Absent when the scenario declares none. */
  hooks?: HookSpecs;
  /**
   * Redacted wherever they appear, in any encoding: every value that came from an environment
   * variable (except into the target's address and the audit's own tuning, see
   * config/interpolate.ts), and the literal values the scenario gives to secret headers,
   * credential-named query parameters and body fields, and connection-string passwords.
   */
  secretValues: readonly string[];
  /**
   * Headers whose whole value was one environment variable (`${API_TOKEN}`, or after an auth
   * scheme: `Bearer ${API_TOKEN}`) set when the scenario was loaded: reproductions name the
   * variable instead of the redacted value. Absent when there is none.
   */
  envHeaders?: readonly EnvHeader[];
}

/** Whose header map a header belongs to: the target's (every request), a principal's or an endpoint's. */
export type HeaderScope = { kind: 'target' } | { kind: 'principal'; name: string } | { kind: 'endpoint'; name: string };

export interface EnvHeader {
  scope: HeaderScope;
  /** The header's name as written. */
  header: string;
  /** The environment variable's name (never its value). */
  variable: string;
  /** Text before the variable, an auth scheme and a space (`Bearer `), or empty. */
  prefix: string;
}
