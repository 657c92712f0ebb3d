/**
 * Which shell variable a curl reproduction reads in place of a redacted header. Reports hold only
 * `[REDACTED]`; a curl line with that text cannot run. A header whose value came from one
 * environment variable of the scenario (`Bearer ${API_TOKEN}`) reads that variable, so a CI job
 * that ran the audit can run the line as it is; any other secret header reads a variable named
 * after it (`IDEM_AUTHORIZATION`, `IDEM_BOB_AUTHORIZATION` for principal bob) for the reader to
 * export. Only names are ever produced: the value is not known here, and must not be.
 */
import type { Exchange } from '../http/exchange.js';
import { DEFAULT_PRINCIPAL, type EnvHeader, type HeaderScope, type ResolvedScenario } from '../scenario/types.js';
import type { ShellVariable } from './finding.js';

/** A header value as shell text: literal text and one variable, to be double-quoted. */
export interface HeaderExpression {
  prefix: string;
  variable: ShellVariable;
}

export type HeaderVariables = (ex: Exchange, header: string) => HeaderExpression;

function has(headers: Readonly<Record<string, string>>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((k) => k.toLowerCase() === lower);
}

/** The map a request's header came from, as the attack context merges them: the endpoint's over the principal's over the target's. */
function scopeOf(scenario: ResolvedScenario, ex: Exchange, header: string): HeaderScope | undefined {
  const endpoint = scenario.endpoints.find((e) => e.name === ex.endpoint);
  if (endpoint && has(endpoint.request.headers, header)) return { kind: 'endpoint', name: endpoint.name };
  const principal = scenario.target.principals.find((p) => p.name === ex.principal);
  if (principal && has(principal.headers, header)) return { kind: 'principal', name: principal.name };
  if (has(scenario.target.headers, header)) return { kind: 'target' };
  return undefined;
}

function sameScope(a: HeaderScope, b: HeaderScope): boolean {
  return a.kind === b.kind && (a.kind === 'target' || (b.kind !== 'target' && a.name === b.name));
}

function scopePath(scope: HeaderScope, header: string): string {
  switch (scope.kind) {
    case 'target':
      return `target.headers.${header}`;
    case 'principal':
      return `target.principals.${scope.name}.headers.${header}`;
    case 'endpoint':
      return `endpoints.${scope.name}.request.headers.${header}`;
  }
}

/** `IDEM_` and the words of the name, upper case: a portable shell variable name. */
function variableName(...words: string[]): string {
  return ['IDEM', ...words]
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9_]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/_$/, '');
}

/** The variables for one scenario's requests. */
export function headerVariables(scenario: ResolvedScenario): HeaderVariables {
  const fromEnv: readonly EnvHeader[] = scenario.envHeaders ?? [];
  return (ex, header) => {
    const scope = scopeOf(scenario, ex, header);
    if (scope === undefined) {
      // A header the attack added, whose value happened to contain a secret.
      const who = ex.principal === DEFAULT_PRINCIPAL ? [] : [ex.principal];
      return {
        prefix: '',
        variable: { name: variableName(...who, header), meaning: `the value of the ${header} header as sent` },
      };
    }
    const env = fromEnv.find((h) => sameScope(h.scope, scope) && h.header.toLowerCase() === header.toLowerCase());
    const where = scopePath(scope, env?.header ?? header);
    if (env)
      return {
        prefix: env.prefix,
        variable: { name: env.variable, meaning: `the variable the audit read for ${where}` },
      };
    const words = scope.kind === 'target' ? [header] : [scope.name, header];
    return { prefix: '', variable: { name: variableName(...words), meaning: `the value of ${where}` } };
  };
}
