/**
 * Which hosts idem-audit may send duplicate payments to. Loopback is always fine; any other host
 * must be listed (target.allowHosts, IDEM_AUDIT_ALLOW_HOSTS) or the scenario must say where it
 * points (`target.environment: staging`, or `production` together with --allow-production). A
 * scenario whose baseUrl comes from an environment variable can otherwise aim an audit at
 * production by accident; this turns that accident into an error that says why.
 */
import net from 'node:net';
import { UsageError } from '../errors/errors.js';
import type { ResolvedScenario } from '../scenario/types.js';

export const ALLOW_HOSTS_ENV = 'IDEM_AUDIT_ALLOW_HOSTS';

export interface HostPolicyOptions {
  allowProduction: boolean;
  env: NodeJS.ProcessEnv;
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

/** Throws a UsageError (exit 2) naming every refused host and the ways to allow it. */
export function assertHostsAllowed(scenario: ResolvedScenario, o: HostPolicyOptions): void {
  const { target } = scenario;
  const fromEnv = (o.env[ALLOW_HOSTS_ENV] ?? '').split(',').filter((s) => s.trim() !== '');
  const allowed = [...(target.allowHosts ?? []), ...fromEnv];
  const hosts = [...new Set([target.baseUrl, ...target.nodes].map((u) => new URL(u).hostname))];
  const foreign = hosts.filter((h) => !isLoopback(h) && !allowed.some((p) => matches(h, p)));
  if (foreign.length === 0) return;

  const env = target.environment;
  if (env === 'staging') return;
  if (env === 'production' && o.allowProduction) return;
  const list = foreign.join(', ');
  if (env === 'production') {
    throw new UsageError(
      `refusing to audit ${list}: the scenario declares target.environment: production`,
      'idem-audit sends duplicate and concurrent writes; against production pass --allow-production to confirm you mean it.',
    );
  }
  throw new UsageError(
    `refusing to audit ${list}: it is not a loopback address, not in target.allowHosts or ${ALLOW_HOSTS_ENV}, and the scenario declares no target.environment`,
    `idem-audit sends duplicate and concurrent writes. If this host is a test system, add it to target.allowHosts (or ${ALLOW_HOSTS_ENV}=host1,host2), or declare target.environment: staging; for production declare target.environment: production and pass --allow-production.`,
  );
}
