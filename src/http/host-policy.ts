/**
 * Which hosts idem-audit may send duplicate payments to. Loopback is always fine; any other host
 * must be listed (target.allowHosts, IDEM_AUDIT_ALLOW_HOSTS) or the scenario must say where it
 * points (`target.environment: staging`, or `production` together with --allow-production). A
 * scenario whose baseUrl comes from an environment variable can otherwise aim an audit at
 * production by accident; this turns that accident into an error that says why.
 *
 * The policy is enforced by the HTTP engine itself (every request, burst and raw connection asks
 * it first), so no command, API call or future path can send traffic around it; run preparation
 * checks the scenario's hosts up front only to fail before anything starts.
 */
import net from 'node:net';
import { HostRefusedError } from '../errors/errors.js';

export const ALLOW_HOSTS_ENV = 'IDEM_AUDIT_ALLOW_HOSTS';

export interface HostPolicyRules {
  /** Hosts (or `*.domain` patterns) allowed besides loopback: the scenario's and the environment's. */
  allowHosts: readonly string[];
  /** What the scenario declares its target to be. */
  environment: 'local' | 'staging' | 'production' | undefined;
  /** --allow-production (or the API's `allowProduction`). */
  allowProduction: boolean;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** `*.example.com` matches any subdomain; anything else matches the host exactly, case-insensitively. */
function matches(host: string, pattern: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.trim().toLowerCase();
  if (p.startsWith('*.')) return h.endsWith(p.slice(1));
  return h === p;
}

/** The allow-list entries of IDEM_AUDIT_ALLOW_HOSTS. */
export function allowHostsFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env[ALLOW_HOSTS_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export class HostPolicy {
  readonly #rules: HostPolicyRules;
  readonly #allowed = new Set<string>();

  constructor(rules: HostPolicyRules) {
    this.#rules = rules;
  }

  /** Loopback only: for tools and tests that never aim anywhere else. */
  static loopbackOnly(): HostPolicy {
    return new HostPolicy({ allowHosts: [], environment: undefined, allowProduction: false });
  }

  /** Throws HostRefusedError (exit 2) naming every refused host of `urls` and the ways to allow it. */
  assertAllowed(urls: readonly string[]): void {
    const hosts = [...new Set(urls.map(hostOf))];
    const foreign = hosts.filter((h) => !this.#allows(h));
    if (foreign.length === 0) {
      for (const h of hosts) this.#allowed.add(h);
      return;
    }
    throw refusal(foreign, this.#rules.environment);
  }

  /** Whether a request to `url` may leave (cached per host: the engine asks before every send). */
  allows(url: string): boolean {
    const host = hostOf(url);
    if (this.#allowed.has(host)) return true;
    if (!this.#allows(host)) return false;
    this.#allowed.add(host);
    return true;
  }

  #allows(host: string): boolean {
    if (isLoopback(host) || this.#rules.allowHosts.some((p) => matches(host, p))) return true;
    const env = this.#rules.environment;
    return env === 'staging' || (env === 'production' && this.#rules.allowProduction);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    // Not a URL we could ever connect to; refused under its own text.
    return url;
  }
}

function refusal(foreign: readonly string[], env: HostPolicyRules['environment']): HostRefusedError {
  const list = foreign.join(', ');
  if (env === 'local') {
    return new HostRefusedError(
      foreign,
      `refusing to audit ${list}: the scenario declares target.environment: local, but it is not a loopback address`,
      'point the scenario at 127.0.0.1/localhost, or add the host to target.allowHosts if it really is a local test system.',
    );
  }
  if (env === 'production') {
    return new HostRefusedError(
      foreign,
      `refusing to audit ${list}: the scenario declares target.environment: production`,
      'idem-audit sends duplicate and concurrent writes; against production pass --allow-production to confirm you mean it.',
    );
  }
  return new HostRefusedError(
    foreign,
    `refusing to audit ${list}: it is not a loopback address, not in target.allowHosts or ${ALLOW_HOSTS_ENV}, and the scenario declares no target.environment`,
    `idem-audit sends duplicate and concurrent writes. If this host is a test system, add it to target.allowHosts (or ${ALLOW_HOSTS_ENV}=host1,host2), or declare target.environment: staging; for production declare target.environment: production and pass --allow-production.`,
  );
}
