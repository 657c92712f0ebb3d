/**
 * Credentials for a drafted scenario: the security schemes the drafted operations use, as
 * headers whose values are ${ENV} placeholders (redacted in every report), and a second caller
 * with its own variables for cross-principal checks.
 */
import type { CredentialHeader } from './draft.js';
import { isRecord } from './example-body.js';
import { asArray } from './spec-operations.js';

export function securityNames(requirements: unknown): string[] {
  return asArray(requirements).flatMap((r) => (isRecord(r) ? Object.keys(r) : []));
}

function envName(scheme: string): string {
  return scheme
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export function credentialsFor(api: Record<string, unknown>, used: ReadonlySet<string>): CredentialHeader[] {
  const components = isRecord(api['components']) ? api['components'] : {};
  const schemes = isRecord(components['securitySchemes'])
    ? components['securitySchemes']
    : isRecord(api['securityDefinitions'])
      ? api['securityDefinitions']
      : {};
  const out: CredentialHeader[] = [];
  for (const [name, s] of Object.entries(schemes)) {
    if (!isRecord(s) || (used.size > 0 && !used.has(name))) continue;
    const env = envName(name);
    const type = s['type'];
    const httpScheme = typeof s['scheme'] === 'string' ? s['scheme'].toLowerCase() : '';
    let header: string;
    let value: (v: string) => string;
    if (type === 'apiKey' && s['in'] === 'header' && typeof s['name'] === 'string') {
      header = s['name'];
      value = (v) => `\${${v}}`;
    } else if ((type === 'http' && httpScheme === 'basic') || type === 'basic') {
      header = 'Authorization';
      value = (v) => `Basic \${${v}}`;
    } else if (type === 'http' || type === 'oauth2' || type === 'openIdConnect') {
      header = 'Authorization';
      value = (v) => `Bearer \${${v}}`;
    } else {
      continue; // apiKey in a query or cookie: not expressible as a header placeholder
    }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) continue;
    if (out.some((c) => c.header.toLowerCase() === header.toLowerCase())) continue;
    const suffix = type === 'apiKey' ? '' : '_TOKEN';
    out.push({ scheme: name, header, value: value(`${env}${suffix}`), otherValue: value(`${env}${suffix}_OTHER`) });
  }
  return out;
}
