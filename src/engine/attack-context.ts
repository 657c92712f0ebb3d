/**
 * Builds the context an attack runs in: request construction from the endpoint template,
 * sending through the shared engine, side-effect counting through the endpoint's observers,
 * and the collection of findings and outcome.
 */
import type { Attack, AttackContext, FindingReport, RequestOverrides, SideEffects } from '../attacks/types.js';
import { InterruptedError, ObserverError } from '../errors/errors.js';
import { toCurlLines } from '../findings/curl.js';
import { fingerprintOf, type Finding, type FindingBaseline } from '../findings/finding.js';
import type { HeaderVariables } from '../findings/shell-variables.js';
import type { BurstResult, HttpEngine } from '../http/engine.js';
import type { Exchange } from '../http/exchange.js';
import { deleteHeader, getHeader, mergeHeaders } from '../http/headers.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { ObserverInstance } from '../observers/types.js';
import { renderTemplate } from '../scenario/template.js';
import { DEFAULT_PRINCIPAL, type JsonValue, type ResolvedEndpoint, type ResolvedScenario } from '../scenario/types.js';
import { burstTimeline } from './burst-timeline.js';
import type { BurstStat } from './result.js';
import type { Rng } from './rng.js';
import { countSideEffects } from './observer-set.js';

export interface AttackOutcome {
  kind: 'ran' | 'skipped' | 'inconclusive';
  reason?: string;
}

export interface ContextDeps {
  scenario: ResolvedScenario;
  endpoint: ResolvedEndpoint;
  attack: Attack;
  options: unknown;
  rng: Rng;
  /** Stream for `{{uuid}}` (keys, template values): seed, endpoint, attack and the run's key salt. */
  uuidRng: Rng;
  seed: number;
  engine: HttpEngine;
  observers: readonly ObserverInstance[];
  signal: AbortSignal;
  /**
   * Aborted when the run's grace period after a stop ends: an observer still counting then is
   * abandoned (InterruptedError), so a stalled database or Redis cannot hold Ctrl-C hostage.
   */
  cutoff?: AbortSignal;
  maxWaitMs?: number;
  reproCommand: string;
  /** The command that re-sends a finding's requests (bursts together), named in its curl reproduction. */
  replayCommand?: (fingerprint: string) => string;
  /** The shell variable each redacted header of a curl reproduction reads. */
  headerVariables?: HeaderVariables;
  /** The run's baseline: what it says of a fingerprint (verdict/baseline.ts). */
  baselineOf?: (fingerprint: string) => FindingBaseline | undefined;
  onFinding: (f: Finding) => void;
}

export class AttackRun {
  readonly exchanges: Exchange[] = [];
  readonly bursts: BurstStat[] = [];
  readonly notes: string[] = [];
  readonly metrics: Record<string, JsonValue> = {};
  readonly findings: Finding[] = [];
  outcome: AttackOutcome = { kind: 'ran' };
  readonly ctx: AttackContext<unknown>;
  readonly #d: ContextDeps;

  constructor(d: ContextDeps) {
    this.#d = d;
    const { scenario, endpoint, rng } = d;
    const exchanges = this.exchanges;
    const attackId = d.attack.meta.id;
    const exCtx = { attack: attackId, endpoint: endpoint.name };

    this.ctx = {
      options: d.options,
      scenario,
      endpoint,
      contract: endpoint.contract ? { ...scenario.contract, ...endpoint.contract } : scenario.contract,
      rng,
      signal: d.signal,
      newKey: () => renderTemplate(endpoint.key, { uuid: () => d.uuidRng.uuid() }),
      request: (o) => this.#request(o),
      send: async (spec) => {
        const ex = await d.engine.send(spec, exCtx);
        exchanges.push(ex);
        return ex;
      },
      burst: async (specs, options) => {
        const b: BurstResult = await d.engine.burst(specs, exCtx, { ...options, h2c: scenario.target.http2 === true });
        exchanges.push(...b.exchanges);
        for (const note of b.notes) if (!this.notes.includes(note)) this.notes.push(note);
        this.bursts.push({
          id: b.id,
          size: specs.length,
          sync: b.sync,
          releaseSpreadMs: b.releaseSpreadMs,
          arrivalSpreadMs: b.arrivalSpreadMs,
          timeline: burstTimeline(b.exchanges),
        });
        return b;
      },
      sendWithFault: async (spec, fault) => {
        const r = await d.engine.sendWithFault(spec, exCtx, fault);
        exchanges.push(r.exchange);
        return r;
      },
      sideEffects: (key) => this.#sideEffects(key),
      sleep: (ms) => sleep(ms, d.signal),
      report: (f) => this.#report(f),
      skip: (reason) => {
        this.outcome = { kind: 'skipped', reason };
      },
      inconclusive: (reason) => {
        this.outcome = { kind: 'inconclusive', reason };
      },
      metric: (name, value) => {
        this.metrics[name] = value;
      },
      note: (text) => {
        this.notes.push(text);
      },
    };
    if (d.maxWaitMs !== undefined) this.ctx = { ...this.ctx, maxWaitMs: d.maxWaitMs };
    const downstream = d.observers.find((o) => o.downstream !== undefined)?.downstream;
    if (downstream) this.ctx = { ...this.ctx, downstream };
  }

  #request(o: RequestOverrides): RequestSpec {
    const { scenario, endpoint } = this.#d;
    const principalName = o.principal ?? DEFAULT_PRINCIPAL;
    const principal = scenario.target.principals.find((p) => p.name === principalName);
    const key = o.key;
    const vars = { key: key ?? '', uuid: () => this.#d.uuidRng.uuid(), principal: principalName };
    const path = renderTemplate(o.path ?? endpoint.request.path, vars, encodeURIComponent);
    const headers = mergeHeaders(scenario.target.headers, principal?.headers, endpoint.request.headers, o.headers);
    for (const [k, v] of Object.entries(headers)) headers[k] = renderTemplate(v, vars);
    const keyHeader = scenario.contract.keyHeader;
    if (key === undefined) deleteHeader(headers, keyHeader);
    else if (o.headers === undefined || getHeader(o.headers, keyHeader) === undefined) {
      deleteHeader(headers, keyHeader);
      headers[keyHeader] = key;
    }
    const body = o.rawBody ?? ('body' in o ? jsonText(o.body) : jsonText(endpoint.request.body));
    if (body !== undefined && getHeader(headers, 'content-type') === undefined)
      headers['content-type'] = 'application/json';
    const spec: RequestSpec = {
      method: o.method ?? endpoint.request.method,
      url: `${o.baseUrl ?? scenario.target.baseUrl}${path}`,
      headers,
      body,
      label: o.label,
      key,
      principal: principalName,
    };
    if (o.timeoutMs !== undefined) spec.timeoutMs = o.timeoutMs;
    return spec;
  }

  async #sideEffects(key: string): Promise<SideEffects> {
    const { observers, endpoint } = this.#d;
    if (observers.length === 0) {
      throw new ObserverError(
        '(none)',
        `endpoint ${endpoint.name} declares no observer, so side effects cannot be counted`,
        'Add `observe: [ { responseId: $.id } ]` or an http/sql observer to the endpoint.',
      );
    }
    const exchanges = this.exchanges.filter((e) => e.key === key);
    const { counts, observed, writes, disputed } = await countSideEffects(observers, key, exchanges, (work) =>
      untilCutoff(work, this.#d.cutoff),
    );
    for (const c of counts) this.exchanges.push(...c.evidence);
    return { observed, writes, disputed, verdict: (expected) => ({ expected, observed: writes, counts }) };
  }

  #report(f: FindingReport): void {
    const { attack, endpoint, scenario, seed } = this.#d;
    const kindMeta = attack.meta.findings[f.kind];
    if (!kindMeta) throw new Error(`attack ${attack.meta.id} reported undeclared finding kind '${f.kind}'`);
    const evidence = [...f.exchanges, ...(f.sideEffects?.counts.flatMap((c) => c.evidence) ?? [])];
    const fingerprint = fingerprintOf(scenario.name, endpoint.name, attack.meta.id, f.kind, f.discriminator);
    const curl = toCurlLines(evidence, {
      ...(this.#d.headerVariables ? { variables: this.#d.headerVariables } : {}),
      ...(this.#d.replayCommand ? { replayCommand: this.#d.replayCommand(fingerprint) } : {}),
    });
    const baseline = this.#d.baselineOf?.(fingerprint);
    const finding: Finding = {
      attack: attack.meta.id,
      endpoint: endpoint.name,
      kind: f.kind,
      severity: f.severity ?? kindMeta.severity,
      title: kindMeta.title,
      message: f.message,
      fingerprint,
      expected: f.expected,
      observed: f.observed,
      sideEffects: f.sideEffects,
      exchanges: evidence,
      remediation: kindMeta.remediation,
      references: kindMeta.references,
      reproduce: {
        seed,
        command: this.#d.reproCommand,
        curl: curl.lines,
        env: curl.env,
        timingDependent: attack.meta.timingDependent,
      },
      ...(baseline ? { baseline } : {}),
    };
    this.findings.push(finding);
    this.#d.onFinding(finding);
  }
}

function jsonText(body: unknown): string | undefined {
  return body === undefined ? undefined : JSON.stringify(body);
}

/** `work`, or an InterruptedError as soon as `cutoff` is aborted, whichever comes first. */
export function untilCutoff<T>(work: Promise<T>, cutoff: AbortSignal | undefined): Promise<T> {
  if (!cutoff) return work;
  if (cutoff.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new InterruptedError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new InterruptedError());
    cutoff.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        cutoff.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        cutoff.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
