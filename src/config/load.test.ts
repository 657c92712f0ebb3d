import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScenarioError, type ScenarioIssue } from '../errors/errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { fakeExt } from './__fixtures__/ext.js';
import { loadScenario, loadScenarioText, scenarioJsonSchema } from './load.js';
import { DEFAULT_SECRET_HEADERS } from './resolve.js';

const FILE = '/abs/scenario.yaml';

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): ScenarioIssue[] {
  try {
    loadScenarioText(text, FILE, fakeExt, env);
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.issues];
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

/** `line:col path message` — compact enough to compare whole lists. */
const brief = (i: ScenarioIssue): string => `${i.line}:${i.col} ${i.path} ${i.message}`;

const MINIMAL = `version: 1
name: mini
target:
  baseUrl: http://127.0.0.1:4010/
endpoints:
  create:
    request:
      path: /payments
`;

const FULL = `$schema: ./idem-audit.schema.json
version: 1
name: payments-staging
target:
  baseUrl: \${API_URL:-http://127.0.0.1:4010}
  nodes: [http://10.0.0.11:8080/, http://10.0.0.12:8080]
  headers: { Authorization: "Bearer \${API_TOKEN}" }
  principals:
    bob: { headers: { Authorization: "Bearer \${API_TOKEN_BOB}" } }
    anonymous: {}
  timeout: 5s
contract:
  profile: stripe
  onMismatch: [422, 400]
  onInFlight: [409, wait]
  ttl: 1h30m
endpoints:
  create-payment:
    request:
      method: post
      path: /payments
      headers: { X-Tenant: "\${TENANT}" }
      body: { amount: 1000, currency: usd, customer: { id: cus_42 } }
    vary: { amount: integer, customer.id: string }
    observe:
      - responseId: $.id
      - http: { path: "/ledger?key={{key}}", count: $.rows.length }
      - sql: { url: "\${DATABASE_URL}", query: "select count(*) from payments where idem_key = $1", params: ["{{key}}"] }
    attacks:
      payload-mismatch: { runs: 100 }
      concurrent-burst: { copies: 20 }
      missing-key:
  refund:
    request: { method: DELETE, path: /refunds/1 }
    key: "refund-{{uuid}}"
settings:
  seed: 42
  failOn: critical
  maxRequests: \${MAX_REQUESTS}
  rate: 200
  concurrency: 3
  bodyCap: 0
  secretHeaders: [X-Api-Signature, authorization]
`;

const FULL_ENV = {
  API_TOKEN: 'tok-alice',
  API_TOKEN_BOB: 'tok-bob',
  TENANT: 'acme',
  DATABASE_URL: 'postgres://u:pw@db/x',
  MAX_REQUESTS: '5000',
};

describe('loadScenarioText: valid files', () => {
  it('resolves a full file exactly, with profile overrides', () => {
    const expected: ResolvedScenario = {
      file: FILE,
      version: 1,
      name: 'payments-staging',
      target: {
        baseUrl: 'http://127.0.0.1:4010',
        nodes: ['http://10.0.0.11:8080', 'http://10.0.0.12:8080'],
        headers: { Authorization: 'Bearer tok-alice' },
        principals: [
          { name: 'bob', headers: { Authorization: 'Bearer tok-bob' } },
          { name: 'anonymous', headers: {} },
        ],
        timeoutMs: 5_000,
      },
      contract: {
        profile: 'stripe',
        keyHeader: 'Idempotency-Key',
        keyRequired: false,
        ttlMs: 5_400_000,
        onMissingKey: [],
        onMismatch: [422, 400],
        onInFlight: [409],
        inFlightMayWait: true,
        errorsReplayed: true,
        replayHeader: 'Idempotent-Replayed',
        recoveryMs: 30_000,
      },
      endpoints: [
        {
          name: 'create-payment',
          request: {
            method: 'POST',
            path: '/payments',
            headers: { 'X-Tenant': 'acme' },
            body: { kind: 'json', value: { amount: 1000, currency: 'usd', customer: { id: 'cus_42' } } },
          },
          key: '{{uuid}}',
          vary: { amount: 'integer', 'customer.id': 'string' },
          observe: [
            { id: 'responseId', options: '$.id', path: 'endpoints.create-payment.observe[0]' },
            {
              id: 'http',
              options: { method: 'GET', path: '/ledger?key={{key}}', count: '$.rows.length' },
              path: 'endpoints.create-payment.observe[1]',
            },
            {
              id: 'sql',
              options: {
                url: 'postgres://u:pw@db/x',
                query: 'select count(*) from payments where idem_key = $1',
                params: ['{{key}}'],
              },
              path: 'endpoints.create-payment.observe[2]',
            },
          ],
          // The default suite tuned (concurrent-burst), then the attacks added to it.
          attacks: [
            { id: 'missing-key', options: {} },
            { id: 'concurrent-burst', options: { copies: 20, sync: 'last-byte' } },
            { id: 'payload-mismatch', options: { runs: 100 } },
          ],
          position: { line: 18, col: 3 },
        },
        {
          name: 'refund',
          request: { method: 'DELETE', path: '/refunds/1', headers: {}, body: undefined },
          key: 'refund-{{uuid}}',
          vary: {},
          observe: [],
          attacks: [
            { id: 'missing-key', options: {} },
            { id: 'concurrent-burst', options: { copies: 10, sync: 'last-byte' } },
          ],
          position: { line: 33, col: 3 },
        },
      ],
      settings: {
        seed: 42,
        failOn: 'critical',
        maxRequests: 5000,
        rate: 200,
        concurrency: 3,
        bodyCap: 0,
        secretHeaders: [...DEFAULT_SECRET_HEADERS, 'X-Api-Signature'],
      },
      // From the environment, then the literal values sent under credential names (here the
      // whole secret headers) and the connection string's password.
      secretValues: [
        'tok-alice',
        'tok-bob',
        'acme',
        'postgres://u:pw@db/x',
        'Bearer tok-alice',
        'Bearer tok-bob',
        'pw',
      ],
      // Names only: reproductions read these variables instead of the redacted values.
      envHeaders: [
        { scope: { kind: 'target' }, header: 'Authorization', variable: 'API_TOKEN', prefix: 'Bearer ' },
        {
          scope: { kind: 'principal', name: 'bob' },
          header: 'Authorization',
          variable: 'API_TOKEN_BOB',
          prefix: 'Bearer ',
        },
        { scope: { kind: 'endpoint', name: 'create-payment' }, header: 'X-Tenant', variable: 'TENANT', prefix: '' },
      ],
    };
    expect(loadScenarioText(FULL, FILE, fakeExt, FULL_ENV)).toEqual(expected);
  });

  it('fills every default for a minimal file', () => {
    const s = loadScenarioText(MINIMAL, FILE, fakeExt, {});
    expect(s.target).toEqual({
      baseUrl: 'http://127.0.0.1:4010',
      nodes: [],
      headers: {},
      principals: [],
      timeoutMs: 10_000,
    });
    expect(s.contract).toMatchObject({ profile: 'ietf', onMismatch: [422], inFlightMayWait: false, ttlMs: 86_400_000 });
    expect(s.settings).toEqual({
      seed: undefined,
      failOn: 'high',
      maxRequests: 10_000,
      rate: undefined,
      bodyCap: 65_536,
      secretHeaders: DEFAULT_SECRET_HEADERS,
    });
    expect(s.endpoints[0]?.request.method).toBe('POST');
    expect(s.endpoints[0]?.attacks.map((a) => a.id)).toEqual(['missing-key', 'concurrent-burst']);
    expect(s.secretValues).toEqual([]);
  });

  it('accepts the lenient profile with `wait`, empty optional blocks and an explicit null replay header', () => {
    const s = loadScenarioText(
      `${MINIMAL}contract: { profile: stripe, replayHeader: null, onInFlight: wait }\nsettings:\n`,
      FILE,
      fakeExt,
      {},
    );
    expect(s.contract).toMatchObject({ replayHeader: undefined, onInFlight: [], inFlightMayWait: true });
  });

  it('takes the header a target reports arrival times in, and refuses one that is no header name', () => {
    const text = MINIMAL.replace('target:\n', 'target:\n  arrivalHeader: X-Arrived-Ns\n');
    expect(loadScenarioText(text, FILE, fakeExt, {}).target.arrivalHeader).toBe('X-Arrived-Ns');
    expect(issuesOf(text.replace('X-Arrived-Ns', "'x arrived'")).map(brief)).toEqual([
      `4:18 target.arrivalHeader 'x arrived' is not a valid HTTP header name`,
    ]);
  });

  it('follows aliases', () => {
    const text = `version: 1
name: a
target: { baseUrl: "http://h", headers: &h { X-A: "1" } }
endpoints:
  e: { request: { path: /, headers: *h } }
`;
    expect(loadScenarioText(text, FILE, fakeExt, {}).endpoints[0]?.request.headers).toEqual({ 'X-A': '1' });
  });
});

describe('loadScenarioText: invalid files', () => {
  it('reports every problem at once, each at its own line and column', () => {
    const text = `version: 2
name: Payments Staging
target:
  timeout: 5 parsecs
contract:
  onInFlight: [409, wiat, 700]
  profile: strip
endpoints:
  create-payment:
    request:
      method: FETCH
      path: payments
    vary: { amount: integr }
    attacks:
      concurent-burst: { copies: 1 }
      missing-key: { extra: 1 }
    observe:
      - responseId: 42
      - htp: { path: /x }
      - {}
settings:
  failOn: hgih
  maxRequest: 5
`;
    expect(issuesOf(text).map(brief)).toEqual([
      '1:10 version expected 1, got 2',
      "2:7 name name 'Payments Staging' must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
      "4:3 target.baseUrl missing required field 'baseUrl'",
      "4:12 target.timeout invalid duration '5 parsecs' (use e.g. 500ms, 5s, 24h)",
      "6:21 contract.onInFlight[1] expected a number or 'wait', got the string 'wiat'",
      '6:27 contract.onInFlight[2] HTTP status codes are 100..599',
      "7:12 contract.profile the string 'strip' is not one of 'ietf', 'stripe', 'lenient'",
      "11:15 endpoints.create-payment.request.method the string 'FETCH' is not one of 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'",
      "12:13 endpoints.create-payment.request.path path 'payments' must start with '/'",
      "13:21 endpoints.create-payment.vary.amount the string 'integr' is not one of 'integer', 'number', 'string', 'boolean'",
      "15:7 endpoints.create-payment.attacks.concurent-burst unknown attack 'concurent-burst'",
      "16:22 endpoints.create-payment.attacks.missing-key.extra unknown key 'extra'",
      '18:21 endpoints.create-payment.observe[0].responseId expected a string, got 42',
      "19:9 endpoints.create-payment.observe[1].htp unknown observer 'htp'",
      '20:9 endpoints.create-payment.observe[2] an observe item must name one observer',
      "22:11 settings.failOn the string 'hgih' is not one of 'info', 'low', 'medium', 'high', 'critical'",
      "23:3 settings.maxRequest unknown key 'maxRequest'",
    ]);
  });

  it('gives did-you-mean hints for attack ids, observer ids, fields and enum values', () => {
    const text = `version: 1
name: x
target: { baseUrl: "http://h", timeot: 5s }
contract: { onInFlight: [wiat] }
endpoints:
  e:
    request: { path: /, methd: GET }
    attacks: { concurent-burst: {} }
    observe: [ { responseID: $.id } ]
settings: { failOn: hihg }
`;
    const hints = Object.fromEntries(issuesOf(text).map((i) => [i.path, i.hint]));
    expect(hints).toEqual({
      'target.timeot': "did you mean 'timeout'?",
      'contract.onInFlight[0]': "did you mean 'wait'?",
      'endpoints.e.request.methd': "did you mean 'method'?",
      'endpoints.e.attacks.concurent-burst': "did you mean 'concurrent-burst'?",
      'endpoints.e.observe[0].responseID': "did you mean 'responseId'?",
      'settings.failOn': "did you mean 'high'?",
    });
  });

  it('lists the known observers when nothing is close', () => {
    const text = `${MINIMAL}    observe:\n      - prometheus: {}\n`;
    expect(issuesOf(text)).toEqual([
      {
        file: FILE,
        line: 10,
        col: 9,
        path: 'endpoints.create.observe[0].prometheus',
        message: "unknown observer 'prometheus'",
        hint: 'known observers: responseId, http, sql',
      },
    ]);
  });

  it('checks vary fields against the body', () => {
    const text = `${MINIMAL}      body: { amount: 1 }\n    vary: { amuont: integer }\n`;
    expect(issuesOf(text)).toMatchObject([
      { line: 10, col: 13, path: 'endpoints.create.vary.amuont', hint: "did you mean 'amount'?" },
    ]);
  });

  it('rejects empty endpoint and attack maps, bad names and bad URLs', () => {
    const text = `version: 1
name: x
target: { baseUrl: "ftp://h", nodes: [nope], principals: { "b b": {} } }
endpoints: {}
`;
    expect(issuesOf(text).map(brief)).toEqual([
      "3:20 target.baseUrl 'ftp://h' is not an http:// or https:// URL",
      "3:39 target.nodes[0] 'nope' is not an http:// or https:// URL",
      "3:60 target.principals.b b principal name 'b b' may use only letters, digits, '_' and '-'",
      '4:12 endpoints at least one endpoint is required',
    ]);
    expect(issuesOf(`${MINIMAL}    suite: none\n    attacks: {}\n`).map(brief)).toEqual([
      '6:3 endpoints every attack is disabled: no endpoint runs any attack',
    ]);
  });

  it('rejects a timeout over 10 minutes and a non-positive one', () => {
    const base = MINIMAL.replace('4010/\n', '4010/\n  timeout: TIMEOUT\n');
    expect(issuesOf(base.replace('TIMEOUT', '11m')).map((i) => i.message)).toEqual(['duration must be at most 10m']);
    expect(issuesOf(base.replace('TIMEOUT', '0')).map((i) => i.message)).toEqual(['duration must be greater than 0']);
    expect(issuesOf(base.replace('TIMEOUT', 'true')).map((i) => i.message)).toEqual([
      'expected a duration (use e.g. 500ms, 5s, 24h, or a number of milliseconds)',
    ]);
  });
});

describe('environment interpolation', () => {
  it('reports each missing variable at its scalar, naming it', () => {
    const text = MINIMAL.replace('http://127.0.0.1:4010/', '${API_URL}').replace(
      'target:\n',
      'target:\n  headers: { Authorization: "Bearer ${API_TOKEN}" }\n',
    );
    expect(issuesOf(text)).toEqual([
      {
        file: FILE,
        line: 4,
        col: 29,
        path: 'target.headers.Authorization',
        message: 'environment variable API_TOKEN is not set',
        hint: 'export API_TOKEN, or give a default: ${API_TOKEN:-value}',
      },
      {
        file: FILE,
        line: 5,
        col: 12,
        path: 'target.baseUrl',
        message: 'environment variable API_URL is not set',
        hint: 'export API_URL, or give a default: ${API_URL:-value}',
      },
    ]);
  });

  it('applies defaults, escapes, and re-types whole unquoted expressions', () => {
    // Block style: inside { flow } mappings an unquoted `\${X}` is not a plain scalar at all.
    const text = `version: 1
name: \${NAME:-env-name}
target:
  baseUrl: "\${URL:-http://h}"
  headers: { X-Lit: "$\${NOT_A_VAR}", X-Empty: "\${E:-}" }
endpoints:
  e:
    request:
      path: /
      headers: { X-Num: "\${N}" }
      body:
        n: \${N}
        q: "\${N}"
        t: \${T:-true}
        z: \${Z:-}
settings:
  seed: \${SEED}
  rate: \${RATE:-1.5}
`;
    const s = loadScenarioText(text, FILE, fakeExt, { N: '7', SEED: '42' });
    expect(s.name).toBe('env-name');
    expect(s.target.headers).toEqual({ 'X-Lit': '${NOT_A_VAR}', 'X-Empty': '' });
    expect(s.endpoints[0]?.request.headers).toEqual({ 'X-Num': '7' });
    expect(s.endpoints[0]?.request.body).toEqual({ kind: 'json', value: { n: 7, q: '7', t: true, z: null } });
    expect(s.settings).toMatchObject({ seed: 42, rate: 1.5 });
    // Every value from the environment outside the audit's own settings is a secret; defaults
    // written in the file are not, and empty values never are.
    expect(s.secretValues).toEqual(['7']);
  });

  it('keeps unquoted header values and connection strings as text, so an all-digit secret loads and is never echoed', () => {
    const headers = '  headers:\n    X-Api-Key: ${API_KEY}\n    X-Flag: ${FLAG}\n';
    const text = MINIMAL.replace('endpoints:', `${headers}endpoints:`);
    const s = loadScenarioText(text, FILE, fakeExt, { API_KEY: '98765432101234', FLAG: 'true' });
    expect(s.target.headers).toEqual({ 'X-Api-Key': '98765432101234', 'X-Flag': 'true' });
    expect(s.secretValues).toEqual(['98765432101234', 'true']);
  });

  it('adds the literal credentials a scenario sends to its secret values, never templates or the idempotency key', () => {
    const text = `version: 1
name: literals
target:
  baseUrl: http://h
  headers: { apikey: lit-apikey-1, Accept: application/json, Idempotency-Key: '{{uuid}}' }
  principals:
    bob: { headers: { Authorization: Basic Ym9iOnB3 } }
endpoints:
  e:
    request:
      path: /pay?access_token=lit-query-tok&key=k1&page=2
      headers: { X-Auth: lit-xauth, X-Request-Id: '{{uuid}}', X-Api-Secret-Foo: '{{key}}' }
      body: { amount: 1000, client_secret: lit-client-secret, nested: { password: 123456 }, note: plain }
    observe:
      - http: { path: '/ledger?key={{key}}&api_key=lit-ledger-key', count: $.count }
      - sql: { url: 'postgres://u:p%40ss@db/x', query: 'select count(*) from t where k = $1', params: ['{{key}}'] }
`;
    const s = loadScenarioText(text, FILE, fakeExt, {});
    expect([...s.secretValues].sort()).toEqual(
      [
        'lit-apikey-1',
        'Basic Ym9iOnB3',
        'Ym9iOnB3',
        'lit-query-tok',
        'lit-xauth',
        'lit-client-secret',
        '123456',
        'lit-ledger-key',
        'p%40ss',
        'p@ss',
      ].sort(),
    );
  });

  it('reports a malformed reference', () => {
    expect(issuesOf(MINIMAL.replace('/payments', '"/p/${oops"')).map(brief)).toEqual([
      "8:13 endpoints.create.request.path malformed variable reference '${oops'",
    ]);
  });
});

describe('hooks', () => {
  it('resolves argv and shell hooks with their timeouts (default 30 s), run in the scenario file’s folder', () => {
    const s = loadScenarioText(
      `${MINIMAL}hooks:
  crash: { run: [kubectl, delete, pod, -l, app=payments] }
  restart: { run: [./scripts/restart.sh, '\${PORT}'], timeout: 2m }
  storeDown: { shell: 'docker pause redis && sleep 1', timeout: 5s }
contract: { recoveryTime: 2s }
`,
      FILE,
      fakeExt,
      { PORT: '8080' },
    );
    expect(s.hooks).toEqual({
      crash: { argv: ['kubectl', 'delete', 'pod', '-l', 'app=payments'], shell: false, timeoutMs: 30_000, cwd: '/abs' },
      // An argument from the environment stays text (8080, not a number) and is a secret like any other.
      restart: { argv: ['./scripts/restart.sh', '8080'], shell: false, timeoutMs: 120_000, cwd: '/abs' },
      storeDown: {
        argv: ['/bin/sh', '-c', 'docker pause redis && sleep 1'],
        shell: true,
        timeoutMs: 5_000,
        cwd: '/abs',
      },
    });
    expect(s.secretValues).toContain('8080');
    expect(s.contract.recoveryMs).toBe(2_000);
    expect(loadScenarioText(MINIMAL, FILE, fakeExt, {}).hooks).toBeUndefined();
    expect(loadScenarioText(MINIMAL, FILE, fakeExt, {}).contract.recoveryMs).toBe(30_000);
  });

  it('refuses a hook with both or neither command, an unknown hook, an empty argv and a timeout over 10 minutes', () => {
    const text = `${MINIMAL}hooks:
  crash: { run: [a], shell: b }
  restart: { timeout: 5s }
  store-down: { run: [x] }
  ready: { run: [] }
  storeUp: { run: [y], timeout: 11m }
`;
    expect(issuesOf(text).map(brief)).toEqual([
      '10:10 hooks.crash give either run (argv) or shell (a script), not both',
      '11:12 hooks.restart a hook needs a command',
      "12:3 hooks.store-down unknown key 'store-down'",
      '13:17 hooks.ready.run run needs at least the program',
      '14:33 hooks.storeUp.timeout duration must be at most 10m',
    ]);
    expect(issuesOf(text).find((i) => i.path === 'hooks.store-down')?.hint).toContain('storeDown');
  });
});

describe('documents that are not scenarios', () => {
  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('version: 1\ntarget:\n  baseUrl: [http://h\nname: x\n');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ file: FILE, line: 4, col: 1, path: '' });
  });

  it('explains unquoted variables inside flow collections, one issue per broken line', () => {
    const issues = issuesOf('version: 1\nsettings: { seed: ${SEED}, rate: 3 }\nname: x\n', { SEED: '1' });
    expect(issues[0]).toMatchObject({ line: 2, col: 20, hint: expect.stringContaining('"${NAME}"') as string });
    expect(new Set(issues.map((i) => i.line)).size).toBe(issues.length);
  });

  it('reports duplicate keys', () => {
    expect(issuesOf('version: 1\nversion: 1\n')[0]).toMatchObject({
      line: 2,
      col: 1,
      message: 'Map keys must be unique',
    });
  });

  it.each([[''], ['# only a comment\n'], ['\n\n']])('empty file %j', (text) => {
    expect(issuesOf(text).map((i) => i.message)).toEqual(['scenario file is empty']);
  });

  it.each([
    ['- a\n- b\n', 'a list'],
    ['just a string\n', 'a single value'],
    ['42', 'a single value'],
  ])('non-mapping document %j', (text, kind) => {
    expect(issuesOf(text)).toEqual([
      expect.objectContaining({ line: 1, col: 1, message: `a scenario must be a mapping of fields, not ${kind}` }),
    ]);
  });

  it('refuses binary junk', () => {
    const issues = issuesOf('version: 1\nna\u0000me: x\n');
    expect(issues).toEqual([expect.objectContaining({ line: 2, col: 3 })]);
    expect(issues[0]?.message).toContain('U+0000');
  });

  it('refuses an alias bomb', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    const issues = issuesOf(bomb);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/cannot be expanded/);
    expect(issues[0]?.line).toBe(2);
  });

  it('refuses files over 1 MiB', () => {
    const issues = issuesOf(`${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`);
    expect(issues).toEqual([expect.objectContaining({ line: 0, message: expect.stringContaining('1 MiB') as string })]);
  });

  it('never throws anything but a ScenarioError', () => {
    const yamlish = fc.stringMatching(/^[a-z:{}[\]\-&*!|>'" \n#$%@`,.0-9]{0,80}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), yamlish), (text) => {
        try {
          loadScenarioText(text, FILE, fakeExt, {});
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          expect(e.issues.length).toBeGreaterThan(0);
          // The last-resort wrapper would hide bugs from this test; it must never be needed.
          expect(e.issues.some((i) => i.message.startsWith('internal error'))).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but a ScenarioError on mutated valid files', () => {
    fc.assert(
      fc.property(fc.nat(FULL.length), fc.nat(FULL.length), fc.string({ maxLength: 5 }), (a, b, insert) => {
        const text = FULL.slice(0, Math.min(a, b)) + insert + FULL.slice(Math.max(a, b));
        try {
          loadScenarioText(text, FILE, fakeExt, FULL_ENV);
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          for (const issue of e.issues) {
            expect(issue.line).toBeGreaterThanOrEqual(0);
            expect(issue.message.startsWith('internal error')).toBe(false);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('loadScenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idem-config-'));

  it('reads a file and records its absolute path', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, MINIMAL);
    const s = await loadScenario(file, fakeExt, {});
    expect(s.file).toBe(file);
    expect(s.name).toBe('mini');
  });

  it('reports issues against the absolute path', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\n');
    const err = await loadScenario(file, fakeExt, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).issues.every((i) => i.file === file)).toBe(true);
  });

  it('turns a missing file into IDEM_SCENARIO_NOT_FOUND', async () => {
    const file = join(dir, 'nope.yaml');
    const err = await loadScenario(file, fakeExt, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err).toMatchObject({ code: 'IDEM_SCENARIO_NOT_FOUND' });
    expect((err as ScenarioError).issues).toEqual([expect.objectContaining({ file, line: 0 })]);
  });

  it('refuses a directory and non-UTF-8 bytes', async () => {
    await expect(loadScenario(dir, fakeExt, {})).rejects.toMatchObject({ code: 'IDEM_SCENARIO_NOT_FOUND' });
    const file = join(dir, 'latin1.yaml');
    writeFileSync(file, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
    await expect(loadScenario(file, fakeExt, {})).rejects.toMatchObject({ code: 'IDEM_SCENARIO_INVALID' });
  });
});

describe('scenarioJsonSchema', () => {
  const schema = scenarioJsonSchema(fakeExt);
  it('is a draft 2020-12 schema describing the format', () => {
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['version', 'name', 'target', 'endpoints'],
      additionalProperties: false,
    });
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
  it('lets attack options be null and names every attack', () => {
    const text = JSON.stringify(schema);
    expect(text).toContain('"concurrent-burst"');
    expect(text).toContain('{"type":"null"}');
    expect(text).toContain('"responseId"');
    // Strict validators (ajv strict mode) reject formats they do not know.
    expect(text).not.toContain('starts_with');
  });
});
