/**
 * The starter scenario `idem-audit init` writes: one endpoint, every section present and
 * commented, so a newcomer edits rather than reads the docs first.
 */
import type { JsonValue } from '../scenario/types.js';
import { inline } from './yaml-text.js';

export interface StarterOptions {
  name: string;
  baseUrl: string;
  method: string;
  path: string;
  body: JsonValue | undefined;
  keyHeader: string;
  /** Where editors find the JSON Schema, relative to the scenario file. */
  schemaRef: string;
}

export const STARTER_DEFAULTS = Object.freeze({
  name: 'my-api',
  baseUrl: 'http://127.0.0.1:8080',
  method: 'POST',
  path: '/payments',
  keyHeader: 'Idempotency-Key',
});

export function starterScenario(o: StarterOptions): string {
  const body = o.body === undefined ? '' : `\n      body: ${inline(o.body)}`;
  return `# yaml-language-server: $schema=${o.schemaRef}
# An idem-audit scenario. Check it with: idem-audit validate <this file>
# Run it with:                          idem-audit run <this file>
$schema: ${inline(o.schemaRef)}
version: 1
name: ${inline(o.name)}

target:
  # \${VAR:-default} reads the environment, so one file serves every stage.
  baseUrl: \${API_URL:-${o.baseUrl}}
  # Headers sent with every request. Credentials (Authorization, Cookie, *-Key, *Token*, X-Auth*, …) and
  # values from the environment (except the target's address) are redacted in reports.
  # headers:
  #   Authorization: Bearer \${API_TOKEN}
  # A second caller, for the cross-principal attack (the same key must not leak across callers):
  # principals:
  #   bob: { headers: { Authorization: "Bearer \${API_TOKEN_BOB}" } }
  timeout: 5s

contract:
  # What the target promises. ietf | stripe | lenient; each field below overrides the profile.
  profile: ietf
  keyHeader: ${inline(o.keyHeader)}
  # keyRequired: true      # a request without a key must be refused
  # ttl: 24h               # how long a key is remembered
  # onMismatch: [422]      # statuses for a reused key with a different body
  # onInFlight: [409]      # statuses for a duplicate while the first is still running

endpoints:
  create:
    request:
      method: ${o.method}
      path: ${inline(o.path)}${body}
    # A fresh key per logical operation; {{uuid}} is seeded, so runs are reproducible.
    key: '{{uuid}}'
    # How idem-audit counts side effects. responseId: two successes with different ids are two writes.
    # Point it at the id in your response body; add an http or sql observer for stronger evidence:
    #   - http: { path: '/payments?idempotency_key={{key}}', count: $.data.length }
    observe:
      - responseId: $.id
    # attacks: tunes the default suite (idem-audit list attacks): options, or false to leave one out;
    # suite: none runs only the attacks named.
    # attacks:
    #   concurrent-burst: { copies: 10 }

settings:
  failOn: high        # exit 1 for findings at or above this severity
  # maxRequests: 5000 # a hard budget for the whole run
  # rate: 200         # requests per second at most
  # concurrency: 8    # endpoints audited at once (1: one after another)
`;
}
