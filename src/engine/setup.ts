/**
 * The scenario's setup and teardown steps (docs/scenario.md, "Setup, captures, teardown"): the
 * requests that create what the audited ones need, the values captured from their answers, and
 * the clean-up after the audit.
 *
 * Three scopes, each run at most once: the scenario (before the first attack), an endpoint's
 * `per: run` steps (before its first request) and each operation's `per: operation` steps (for
 * the operation book, engine/operations.ts). A scope that failed keeps failing with the same
 * answer, so an endpoint's attacks do not send a broken step again and again. Every scope that
 * sent a step is remembered for teardown, most recent last, with what it captured so far.
 *
 * Requests go through the caller's transport (the engine, or the test kit's fake target), marked
 * with their phase: counted, rate-limited, recorded and redacted like any other, never attributed
 * to a key. Captures read the answer as the target sent it (the recorded one may be redacted);
 * a value from a credential-named field or header, or captured under such a name, becomes a
 * secret of the run from then on.
 */
import { SetupFailedError } from '../errors/errors.js';
import type { ExchangeContext, RawAnswer } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import { getHeader, mergeHeaders } from '../http/headers.js';
import type { ExchangePhase, RequestSpec } from '../http/request-spec.js';
import { extractValue } from '../observers/json-path.js';
import { isSecretField } from '../scenario/credentials.js';
import { bodyStrings, bodyText, contentTypeOf, renderBody } from '../scenario/request-body.js';
import { renderTemplate, templateVariables, type TemplateValues } from '../scenario/template.js';
import {
  DEFAULT_PRINCIPAL,
  type Capture,
  type RequestTemplate,
  type ResolvedEndpoint,
  type ResolvedScenario,
  type SetupStep,
  type TeardownStep,
} from '../scenario/types.js';

/** Captured values by name. */
export type Captured = Readonly<Record<string, string>>;

/** What setup and teardown requests of the scenario itself (not of an endpoint) are recorded under. */
export const SCENARIO_SCOPE = '(scenario)';

/** How long teardown may take in all, after the audit or after it was stopped. */
export const DEFAULT_TEARDOWN_MS = 30_000;

/** How much of a captured value a `pattern` reads: a target chooses the value, the scenario the expression. */
const PATTERN_INPUT_CHARS = 4096;
/** How much of an answer a failure quotes. */
const EXCERPT_CHARS = 300;

export interface SetupTransport {
  /** Sends one setup or teardown request; `answer` is the answer before redaction, when there was one. */
  send(spec: RequestSpec, ctx: ExchangeContext): Promise<{ exchange: Exchange; answer?: RawAnswer | undefined }>;
}

export interface RunSetupOptions {
  scenario: ResolvedScenario;
  /** A seeded `{{uuid}}` stream for one setup scope, named by `parts`. */
  uuid(...parts: string[]): () => string;
  /** A captured value that must not appear in any report from now on. */
  secret(value: string): void;
  isSecretHeader(name: string): boolean;
}

/** One scope whose setup ran: what its teardown steps need. */
interface Scope {
  steps: readonly TeardownStep[];
  values: Record<string, string>;
  principal: string;
  key: string | undefined;
  ctx: ExchangeContext;
  uuid: () => string;
  what: string;
}

export interface OperationSetup {
  values: Captured;
  /** The operation's own setup requests, for the evidence of findings about it. */
  exchanges: readonly Exchange[];
}

export interface TeardownOutcome {
  sent: number;
  /** One line per request that failed or was not sent for lack of time. */
  problems: string[];
}

export class RunSetup {
  readonly #o: RunSetupOptions;
  #scenario: Promise<Captured> | undefined;
  readonly #endpoints = new Map<string, Promise<Captured>>();
  /** The endpoints whose `per: run` setup is done, with what it captured. */
  readonly #endpointValues = new Map<string, Captured>();
  readonly #scopes: Scope[] = [];

  constructor(o: RunSetupOptions) {
    this.#o = o;
  }

  /** The scenario's setup, once per run: its captures. */
  scenario(transport: SetupTransport): Promise<Captured> {
    this.#scenario ??= this.#run({
      steps: this.#o.scenario.setup ?? [],
      teardown: this.#o.scenario.teardown ?? [],
      inherited: {},
      principal: DEFAULT_PRINCIPAL,
      key: undefined,
      ctx: { attack: SCENARIO_SCOPE, endpoint: SCENARIO_SCOPE },
      uuid: this.#o.uuid(SCENARIO_SCOPE),
      what: 'scenario setup',
      transport,
    }).then((r) => r.values);
    return this.#scenario;
  }

  /** The endpoint's `per: run` steps, once per run (after the scenario's): the captures its requests see beyond an operation's. */
  endpoint(endpoint: ResolvedEndpoint, transport: SetupTransport, attack: string): Promise<Captured> {
    let done = this.#endpoints.get(endpoint.name);
    if (!done) {
      done = this.scenario(transport).then((inherited) =>
        this.#run({
          steps: (endpoint.setup ?? []).filter((s) => s.per === 'run'),
          teardown: (endpoint.teardown ?? []).filter((t) => t.per === 'run'),
          inherited,
          principal: DEFAULT_PRINCIPAL,
          key: undefined,
          ctx: { attack, endpoint: endpoint.name },
          uuid: this.#o.uuid(endpoint.name, '(setup)'),
          what: `endpoint ${endpoint.name}`,
          transport,
        }).then((r) => {
          this.#endpointValues.set(endpoint.name, r.values);
          return r.values;
        }),
      );
      this.#endpoints.set(endpoint.name, done);
    }
    return done;
  }

  /** What `endpoint` resolved to, once it has: lets a request go out in the same turn it was sent in. */
  endpointNow(name: string): Captured | undefined {
    return this.#endpointValues.get(name);
  }

  /** An operation's `per: operation` steps (the caller runs them once per operation). */
  async operation(
    endpoint: ResolvedEndpoint,
    op: { id: number; principal: string; key: string | undefined },
    transport: SetupTransport,
    attack: string,
  ): Promise<OperationSetup> {
    const inherited = await this.endpoint(endpoint, transport, attack);
    return this.#run({
      steps: (endpoint.setup ?? []).filter((s) => s.per === 'operation'),
      teardown: (endpoint.teardown ?? []).filter((t) => t.per === 'operation'),
      inherited,
      principal: op.principal,
      key: op.key,
      ctx: { attack, endpoint: endpoint.name },
      uuid: this.#o.uuid(endpoint.name, attack, 'operation', String(op.id)),
      what: `endpoint ${endpoint.name}, operation ${op.id}`,
      transport,
    });
  }

  /** How many teardown requests are due at most (the teardown engine's exact budget). */
  teardownsDue(): number {
    return this.#scopes.reduce((n, s) => n + s.steps.length, 0);
  }

  /**
   * Every scope's teardown, the most recent scope first, each scope's steps in the order written.
   * A step that renders a value its scope never captured (its setup failed before) is not sent.
   * Stops sending at `deadline` (ms on `now`'s clock) and lists what it left.
   */
  async teardown(transport: SetupTransport, deadline: number, now: () => number): Promise<TeardownOutcome> {
    const out: TeardownOutcome = { sent: 0, problems: [] };
    let left = 0;
    for (const scope of [...this.#scopes].reverse()) {
      for (const step of scope.steps) {
        const spec = this.#spec(step.request, scope, `teardown ${step.name}`, 'teardown');
        // Its setup never captured what it needs: there is nothing of it to clean up.
        if (typeof spec === 'string') continue;
        if (now() >= deadline) {
          left++;
          continue;
        }
        let exchange: Exchange;
        try {
          ({ exchange } = await transport.send(spec, scope.ctx));
        } catch (err) {
          left++;
          if (now() < deadline)
            out.problems.push(
              `teardown ${step.name} (${scope.what}): ${err instanceof Error ? err.message : String(err)}`,
            );
          continue;
        }
        out.sent++;
        const problem = answerProblem(exchange, step.expect);
        if (problem !== undefined)
          out.problems.push(`teardown ${step.name} (${scope.what}): ${spec.method} ${pathOf(exchange)} ${problem}`);
      }
    }
    if (left > 0) out.problems.push(`${left} teardown request(s) not sent: the teardown time budget ran out`);
    return out;
  }

  async #run(o: {
    steps: readonly SetupStep[];
    teardown: readonly TeardownStep[];
    inherited: Captured;
    principal: string;
    key: string | undefined;
    ctx: ExchangeContext;
    uuid: () => string;
    what: string;
    transport: SetupTransport;
  }): Promise<OperationSetup> {
    const values: Record<string, string> = { ...o.inherited };
    const exchanges: Exchange[] = [];
    const scope: Scope = {
      steps: o.teardown,
      values,
      principal: o.principal,
      key: o.key,
      ctx: o.ctx,
      uuid: o.uuid,
      what: o.what,
    };
    // Remembered before its first step, so what a half-run setup created is cleaned up too.
    if (o.teardown.length > 0) this.#scopes.push(scope);
    for (const step of o.steps) {
      const where = `setup step '${step.name}' (${o.what})`;
      const spec = this.#spec(step.request, scope, `setup ${step.name}`, 'setup');
      if (typeof spec === 'string') throw new SetupFailedError(`${where}: ${spec}`);
      const { exchange, answer } = await o.transport.send(spec, o.ctx);
      exchanges.push(exchange);
      const problem = answerProblem(exchange, step.expect);
      if (problem !== undefined) throw new SetupFailedError(`${where}: ${spec.method} ${pathOf(exchange)} ${problem}`);
      for (const c of step.capture) {
        const got = captureValue(c, answer ?? recordedAnswer(exchange), exchange.response?.body ?? '');
        if (typeof got !== 'string') throw new SetupFailedError(`${where}: capture {{${c.name}}}: ${got.problem}`);
        values[c.name] = got;
        if (this.#isSecret(c)) this.#o.secret(got);
      }
    }
    return { values, exchanges };
  }

  #isSecret(c: Capture): boolean {
    if (isSecretField(c.name)) return true;
    if (c.source.from === 'header') return this.#o.isSecretHeader(c.source.name);
    const last = /([A-Za-z0-9_-]+)['"]?\]?$/.exec(c.source.path)?.[1];
    return last !== undefined && isSecretField(last);
  }

  /**
   * A setup or teardown request: the target's headers (those whose captures exist yet), the
   * principal's, the step's; every template rendered. Or why it cannot be sent: it renders a value
   * its scope does not have, or a captured value would put a line break into a header.
   */
  #spec(r: RequestTemplate, scope: Scope, label: string, phase: ExchangePhase): RequestSpec | string {
    const { scenario } = this.#o;
    const vars: TemplateValues = { ...scope.values, uuid: scope.uuid, key: scope.key ?? '' };
    const has = (t: string): boolean => templateVariables(t).every((v) => v === 'uuid' || v in vars);
    const stepStrings = [r.path, ...Object.values(r.headers), ...(r.body ? bodyStrings(r.body) : [])];
    const missing = stepStrings.flatMap(templateVariables).find((v) => v !== 'uuid' && !(v in vars));
    if (missing !== undefined) return `{{${missing}}} was never captured`;
    const available = (h: Readonly<Record<string, string>> | undefined): Record<string, string> =>
      Object.fromEntries(Object.entries(h ?? {}).filter(([, v]) => has(v)));
    const principal = scenario.target.principals.find((p) => p.name === scope.principal);
    const headers = mergeHeaders(available(scenario.target.headers), available(principal?.headers), r.headers);
    for (const [k, v] of Object.entries(headers)) {
      const value = renderTemplate(v, vars);
      if (/[\r\n]/.test(value)) return `header ${k} would carry a line break from a captured value`;
      headers[k] = value;
    }
    const body = r.body && renderBody(r.body, (t) => renderTemplate(t, vars));
    if (body && getHeader(headers, 'content-type') === undefined) headers['content-type'] = contentTypeOf(body);
    return {
      method: r.method,
      url: `${scenario.target.baseUrl}${renderTemplate(r.path, vars, encodeURIComponent)}`,
      headers,
      body: body && bodyText(body),
      label,
      key: undefined,
      principal: scope.principal,
      phase,
    };
  }
}

/** Why the answer does not count as success, or undefined. */
function answerProblem(ex: Exchange, expect: readonly number[] | undefined): string | undefined {
  const res = ex.response;
  if (!res) return `got no answer (${ex.error ? `${ex.error.code}: ${ex.error.message}` : 'no response'})`;
  const ok = expect ? expect.includes(res.status) : res.status >= 200 && res.status < 300;
  if (ok) return undefined;
  return `answered ${res.status}, expected ${expect ? expect.join('/') : '2xx'}${excerpt(res.body)}`;
}

function excerpt(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  return `: ${text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text}`;
}

function pathOf(ex: Exchange): string {
  try {
    const u = new URL(ex.request.url);
    return `${u.pathname}${u.search}`;
  } catch {
    return ex.request.url;
  }
}

function recordedAnswer(ex: Exchange): RawAnswer | undefined {
  const r = ex.response;
  return r && { status: r.status, headers: r.headers, body: r.body, truncated: r.truncated };
}

/**
 * The captured value, or why there is none. Read from the answer as sent; messages quote only
 * `shown`, the recorded (redacted) body, since they end up in reports.
 */
function captureValue(c: Capture, answer: RawAnswer | undefined, shown: string): string | { problem: string } {
  if (!answer) return { problem: 'no answer to read' };
  let raw: string | undefined;
  const s = c.source;
  if (s.from === 'header') {
    raw = getHeader(answer.headers, s.name);
    if (raw === undefined) return { problem: `the answer has no ${s.name} header` };
  } else {
    let json: unknown;
    try {
      json = JSON.parse(answer.body) as unknown;
    } catch {
      return {
        problem: `the answer is not JSON${answer.truncated ? ' (its body was cut at settings.bodyCap)' : ''}${excerpt(shown)}`,
      };
    }
    const v = extractValue(json, s.path);
    if (v === undefined || v === null) return { problem: `${s.path} matched nothing${excerpt(shown)}` };
    raw = typeof v === 'string' ? v : JSON.stringify(v);
  }
  if (s.pattern === undefined) return raw;
  const m = new RegExp(s.pattern, 'u').exec(raw.slice(0, PATTERN_INPUT_CHARS));
  if (!m) return { problem: `pattern ${s.pattern} does not match the value read` };
  return m[1] ?? m[0];
}
