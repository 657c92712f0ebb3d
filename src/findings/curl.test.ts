import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../config/index.js';
import type { Exchange } from '../http/exchange.js';
import { toCurl, toCurlLines } from './curl.js';
import { headerVariables } from './shell-variables.js';
import { extensionSchemas } from '../engine/extension-schemas.js';

function ex(id: number, burst?: number, principal = 'default'): Exchange {
  const e: Exchange = {
    id,
    label: `r${id}`,
    attack: 'a',
    endpoint: 'e',
    key: 'k',
    principal,
    request: {
      method: 'POST',
      url: 'http://127.0.0.1:1/p',
      headers: { 'content-type': 'application/json', authorization: '[REDACTED]' },
      body: `{"note":"it's"}`,
    },
    timings: { queued: 0 },
  };
  if (burst !== undefined) e.burst = burst;
  return e;
}

const SECRET = 's3cr3t-t0ken-value';
const SCENARIO = `
version: 1
name: shell
target:
  baseUrl: http://127.0.0.1:1
  headers:
    Authorization: Bearer \${API_TOKEN}
    X-Tenant: \${TENANT:-acme}
  principals:
    bob: { headers: { Authorization: Bearer literal-bob-token } }
endpoints:
  e:
    request: { method: POST, path: /p, body: { a: 1 } }
    observe: [{ responseId: $.id }]
`;

function scenario(env: NodeJS.ProcessEnv) {
  return loadScenarioText(SCENARIO, '/tmp/shell.yaml', extensionSchemas(), env);
}

describe('toCurl', () => {
  it('quotes single quotes in bodies and keeps redaction markers when no variables are known', () => {
    expect(toCurl(ex(1))).toBe(
      `curl -sS -i -X POST 'http://127.0.0.1:1/p' -H 'content-type: application/json' -H 'authorization: [REDACTED]' --data-raw '{"note":"it'\\''s"}'`,
    );
  });

  it('writes a burst one request per line after a comment that it is not simultaneous', () => {
    const { lines } = toCurlLines([ex(1), ex(2, 7), ex(3, 7), ex(4)], {
      replayCommand: 'idem-audit replay r/report.json --finding abc',
    });
    expect(lines).toHaveLength(5);
    expect(lines[1]).toBe(
      '# not simultaneous: a burst of 2 requests, which curl sends one after another; to release them together: idem-audit replay r/report.json --finding abc',
    );
    for (const l of lines) expect(l).not.toMatch(/&\s*(wait)?$/);
  });
});

describe('shell variables for redacted headers', () => {
  it("names the scenario's own variable, or an IDEM_ one for a literal secret, never the value", () => {
    const s = scenario({ API_TOKEN: SECRET });
    const vars = headerVariables(s);
    const alice = toCurlLines([ex(1)], { variables: vars });
    expect(alice.lines[0]).toContain(`-H "authorization: Bearer \${API_TOKEN}"`);
    expect(alice.env).toEqual([
      { name: 'API_TOKEN', meaning: 'the variable the audit read for target.headers.Authorization' },
    ]);
    const bob = toCurlLines([ex(2, undefined, 'bob')], { variables: vars });
    expect(bob.lines[0]).toContain(`-H "authorization: \${IDEM_BOB_AUTHORIZATION}"`);
    expect(bob.env.map((v) => v.name)).toEqual(['IDEM_BOB_AUTHORIZATION']);
    expect(JSON.stringify([alice, bob])).not.toContain(SECRET);
    expect(JSON.stringify(bob)).not.toContain('literal-bob-token');
  });

  it('a header that took its default is not named after the variable (the reader has no such value)', () => {
    const s = scenario({ API_TOKEN: SECRET });
    const tenant = { ...ex(1), request: { ...ex(1).request, headers: { 'X-Tenant': '[REDACTED]' } } };
    const { env } = toCurlLines([tenant], { variables: headerVariables(s) });
    expect(env.map((v) => v.name)).toEqual(['IDEM_X_TENANT']);
    const withEnv = toCurlLines([tenant], { variables: headerVariables(scenario({ API_TOKEN: SECRET, TENANT: 't' })) });
    expect(withEnv.env.map((v) => v.name)).toEqual(['TENANT']);
  });

  it('the line runs in a shell and sends the exported value', () => {
    const s = scenario({ API_TOKEN: SECRET });
    const { lines } = toCurlLines([ex(1)], { variables: headerVariables(s) });
    // Swap curl for printf to see the arguments the shell hands it.
    const line = (lines[0] ?? '').replace(/^curl /, "printf '%s\\n' ");
    const out = execFileSync('sh', ['-c', line], { env: { API_TOKEN: 'xyz"$`' }, encoding: 'utf8' });
    expect(out.split('\n')).toContain('authorization: Bearer xyz"$`');
  });

  it('says where a secret sits in a URL or body', () => {
    const e = { ...ex(1), request: { ...ex(1).request, url: 'http://127.0.0.1:1/p?t=[REDACTED]' } };
    expect(toCurlLines([e]).lines[0]).toMatch(/^# \[REDACTED\] in a URL or body/);
  });

  it('sends a form or text body with its own content type, and marks setup requests', () => {
    const form = ex(5);
    form.request = {
      method: 'POST',
      url: 'http://127.0.0.1:1/v1/charges/ch_1/refunds',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'k' },
      body: 'amount=500&metadata%5Border%5D=o+1',
    };
    expect(toCurl(form)).toBe(
      `curl -sS -i -X POST 'http://127.0.0.1:1/v1/charges/ch_1/refunds' -H 'content-type: application/x-www-form-urlencoded' -H 'Idempotency-Key: k' --data-raw 'amount=500&metadata%5Border%5D=o+1'`,
    );
    const setup = { ...ex(6), label: 'setup charge', key: undefined, phase: 'setup' as const };
    expect(toCurl(setup)).toMatch(/--data-raw '\{"note":"it'\\''s"\}' {2}# setup charge$/);
  });
});
