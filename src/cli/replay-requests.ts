/**
 * Turns the evidence exchanges of a finding back into requests that can be sent again:
 * secrets restored from the scenario (reports only hold `[REDACTED]`), the base URL optionally
 * swapped, keys optionally renamed, and the original grouping kept (a burst is re-released as
 * one burst, everything else is sent one after another in the original order).
 */
import { randomUUID } from 'node:crypto';
import type { Finding } from '../findings/finding.js';
import type { Exchange } from '../http/exchange.js';
import { REDACTED } from '../http/redact.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { UsageError } from '../errors/errors.js';

export interface ReplayGroup {
  /** Burst id in the original run, undefined for sequential requests. */
  burst: number | undefined;
  specs: RequestSpec[];
  originals: Exchange[];
}

export interface ReplayPlan {
  groups: ReplayGroup[];
  /** Original key → key sent now (identity with --same-keys). */
  keys: Map<string, string>;
}

function lookup(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.entries(headers).find(([k]) => k.toLowerCase() === lower)?.[1];
}

/** Real value of a redacted header: the principal's, the endpoint's, then the target's. */
function realHeader(scenario: ResolvedScenario, ex: Exchange, name: string): string | undefined {
  const principal = scenario.target.principals.find((p) => p.name === ex.principal);
  const endpoint = scenario.endpoints.find((e) => e.name === ex.endpoint);
  return (
    (principal && lookup(principal.headers, name)) ??
    (endpoint && lookup(endpoint.request.headers, name)) ??
    lookup(scenario.target.headers, name)
  );
}

function retarget(url: string, from: string, to: string | undefined): string {
  if (to === undefined) return url;
  const base = from.replace(/\/+$/, '');
  if (url.startsWith(base)) return `${to.replace(/\/+$/, '')}${url.slice(base.length)}`;
  const u = new URL(url);
  const t = new URL(to);
  u.protocol = t.protocol;
  u.host = t.host;
  return u.href;
}

function renameKeys(text: string, keys: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [from, to] of keys) if (from !== to) out = out.split(from).join(to);
  return out;
}

export interface PlanOptions {
  scenario: ResolvedScenario;
  recordedBaseUrl: string;
  target: string | undefined;
  sameKeys: boolean;
}

export function planReplay(finding: Finding, o: PlanOptions): ReplayPlan {
  // Observer look-ups are counting and setup requests preparing, neither is part of what the attack sent.
  const sent = [...finding.exchanges]
    .filter((e) => !e.attack.startsWith('observe:') && e.phase === undefined)
    .sort((a, b) => a.id - b.id);
  if (sent.length === 0) throw new UsageError(`finding ${finding.fingerprint} has no recorded request to replay`);
  const keys = new Map<string, string>();
  for (const ex of sent)
    if (ex.key !== undefined && !keys.has(ex.key)) keys.set(ex.key, o.sameKeys ? ex.key : randomUUID());
  const groups: ReplayGroup[] = [];
  for (const ex of sent) {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(ex.request.headers)) {
      if (!value.includes(REDACTED)) {
        headers[name] = renameKeys(value, keys);
        continue;
      }
      const real = realHeader(o.scenario, ex, name);
      if (real === undefined)
        throw new UsageError(
          `cannot restore the redacted header '${name}' of request #${ex.id}: the scenario ${o.scenario.file} does not define it`,
          'replay takes credentials from the scenario file and the current environment; set the variables it references',
        );
      headers[name] = real;
    }
    const url = retarget(ex.request.url, o.recordedBaseUrl, o.target);
    const body = ex.request.body;
    if (url.includes(REDACTED) || body?.includes(REDACTED))
      throw new UsageError(
        `request #${ex.id} has a secret redacted in its URL or body; it cannot be restored faithfully`,
        'rerun the attack with the reproduction command instead',
      );
    const spec: RequestSpec = {
      method: ex.request.method,
      url: renameKeys(url, keys),
      headers,
      body: body === undefined ? undefined : renameKeys(body, keys),
      label: ex.label,
      key: ex.key === undefined ? undefined : keys.get(ex.key),
      principal: ex.principal,
    };
    const last = groups.at(-1);
    if (ex.burst !== undefined && last && last.burst === ex.burst) {
      last.specs.push(spec);
      last.originals.push(ex);
    } else groups.push({ burst: ex.burst, specs: [spec], originals: [ex] });
  }
  return { groups, keys };
}
