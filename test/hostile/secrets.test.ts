/**
 * Secrets never leave the process: an audit that sends credentials (target headers, principals,
 * endpoint headers, a custom secret header, values from environment variables) to a target that
 * echoes every one of them back in bodies and headers must not show any of them in ANY file of
 * the report folder (whatever reporters exist now or later) nor on the terminal.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { httpServer } from '../helpers/servers.js';

const ENV = {
  TARGET_TOKEN: 'tgt-7f3a9c1e5b2d4f60a8e1',
  API_KEY: 'apikey-c0ffee-1234-5678',
  BOB_TOKEN: 'bob-9d8c7b6a5f4e3d2c1b0a',
  SESSION_COOKIE: 'sess-a1b2c3d4e5f6a7b8',
  OBSERVER_TOKEN: 'obs-4242-abcd-efef-9999',
};
const LITERALS = {
  signing: 'literal-signing-secret-0451',
  tenantPass: 'tenant-pass-5e6f7a8b9c',
};
const SECRETS = [...Object.values(ENV), ...Object.values(LITERALS)];

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('secrets in every output', () => {
  it('no secret value appears in any report file, on stdout or on stderr', async () => {
    // Flawed on purpose (ignores the key) so that findings with curl reproductions are written too.
    const writes = new Map<string, number>();
    const server = await httpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const echoed = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url };
        const reflect = {
          'x-echo-authorization': req.headers.authorization ?? '',
          'x-echo-api-key': String(req.headers['x-api-key'] ?? ''),
          'set-cookie': `echo=${req.headers.cookie ?? ''}`,
        };
        if (url.pathname === '/ledger') {
          const key = url.searchParams.get('key') ?? '';
          res
            .writeHead(200, { 'content-type': 'application/json', ...reflect })
            .end(JSON.stringify({ count: writes.get(key) ?? 0, echoed }));
          return;
        }
        const key = String(req.headers['idempotency-key'] ?? '');
        writes.set(key, (writes.get(key) ?? 0) + 1);
        res
          .writeHead(201, { 'content-type': 'application/json', ...reflect })
          .end(JSON.stringify({ id: `pay_${Math.random().toString(36).slice(2)}`, echoed }));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'idem-audit-secrets-'));
    try {
      const file = join(dir, 'scenario.yaml');
      writeFileSync(
        file,
        `version: 1
name: secrets
target:
  baseUrl: ${server.url}
  timeout: 5s
  headers:
    Authorization: Bearer \${TARGET_TOKEN}
    X-Api-Key: \${API_KEY}
    Cookie: session=\${SESSION_COOKIE}
  principals:
    bob:
      headers:
        Authorization: Bearer \${BOB_TOKEN}
endpoints:
  pay:
    request:
      method: POST
      path: /pay
      headers:
        X-Signing-Secret: ${LITERALS.signing}
        X-Tenant-Pass: ${LITERALS.tenantPass}
      body: { amount: 1 }
    observe:
      - responseId: $.id
      - http: { path: '/ledger?key={{key}}', count: $.count, headers: { X-Observer-Token: '\${OBSERVER_TOKEN}' } }
    suite: none
    attacks:
      sequential-replay: { replays: 1, delayMs: 0 }
      concurrent-burst: { copies: 3, rounds: 1 }
      missing-key: {}
settings:
  seed: 3
  secretHeaders: [X-Tenant-Pass, X-Observer-Token]
`,
      );
      const out = join(dir, 'report');
      const r = await cli(['run', file, '--out', out], { env: ENV });
      // The flawed target must have produced findings, so curl lines and evidence are in the reports.
      expect(r.code).toBe(1);
      const files = filesUnder(out);
      expect(files.map((f) => f.slice(out.length + 1))).toEqual(
        expect.arrayContaining(['report.json', 'events.ndjson']),
      );
      const outputs = [
        ...files.map((f) => ({ where: f, text: readFileSync(f, 'latin1') })),
        { where: 'stdout', text: r.stdout },
        { where: 'stderr', text: r.stderr },
      ];
      const leaks = outputs.flatMap(({ where, text }) =>
        SECRETS.filter((s) => text.includes(s)).map((s) => `${s} in ${where}`),
      );
      expect(leaks).toEqual([]);
      // The secrets were really sent and echoed (a test that sent none would pass vacuously)…
      const report = readFileSync(join(out, 'report.json'), 'utf8');
      const events = readFileSync(join(out, 'events.ndjson'), 'utf8');
      expect(events).toContain('[REDACTED]');
      expect(events).toContain('"x-echo-authorization":"[REDACTED]"');
      expect(report).toContain('curl');
      // …and the idempotency key, though it matches `*-Key`, stays visible: it is evidence, not a secret.
      expect(events).toMatch(/"Idempotency-Key":"[0-9a-f-]{36}"/);
    } finally {
      await server.close();
    }
  });

  it('no secret from a body, path, query or header appears in any report, raw, JSON-escaped or URL-encoded', async () => {
    // From the environment, in places no header rule covers: a body field, a path segment, a query
    // parameter, an observer's query, a header with an ordinary name. Characters that JSON and URLs
    // escape make every encoding differ from the raw value.
    const env = {
      BODY_SECRET: 'body-s3cr3t "quoted" \\ back/slash+plus & ünïcode=1',
      BODY_PASSWORD: 'pw-5ecr3t#"9z\\8y/x',
      PATH_SECRET: 'path-s3cr3t-4e5f6a7b8c',
      QUERY_TOKEN: 'qtok/AbC+123=xyz-0d9e8f',
      HEADER_SECRET: 'hdr-s3cr3t "x" 7g6h5i',
      LEDGER_KEY: 'ledger-k3y+/=5j4k3l',
    };
    // Literal values under credential names: redacted by name where sent, and by value where echoed.
    const literals = {
      apikey: 'lit-apikey-3c4d5e6f7a8b',
      xAuth: 'lit-xauth-9a8b7c6d5e4f',
      apiSecret: 'lit-apisecret-0f1e2d3c4b',
      refresh: 'lit-refresh-7b6a5c4d3e',
      clientSecret: 'lit-client-secret-11aa22bb',
    };
    const secrets = [...Object.values(env), ...Object.values(literals)];
    const received: string[] = [];
    const writes = new Map<string, number>();
    const server = await httpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const seen = JSON.stringify({ url: req.url, headers: req.headers, body });
        received.push(seen);
        // Raw (inside JSON, so JSON-escaped once), as a JSON string inside JSON (twice), and
        // percent-encoded both ways, in the body and in headers.
        const echo = {
          url: req.url,
          headers: req.headers,
          body,
          asJsonString: seen,
          encoded: encodeURIComponent(seen),
          form: new URLSearchParams({ seen }).toString(),
        };
        const reflect = {
          'content-type': 'application/json',
          'x-echo-encoded': encodeURIComponent(seen),
          'x-echo-apikey': String(req.headers['apikey'] ?? ''),
          location: req.url ?? '/',
        };
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/ledger') {
          const key = url.searchParams.get('key') ?? '';
          res.writeHead(200, reflect).end(JSON.stringify({ count: writes.get(key) ?? 0, echo }));
          return;
        }
        const key = String(req.headers['idempotency-key'] ?? '');
        writes.set(key, (writes.get(key) ?? 0) + 1);
        res.writeHead(201, reflect).end(JSON.stringify({ id: `pay_${Math.random().toString(36).slice(2)}`, echo }));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'idem-audit-secrets-'));
    try {
      const file = join(dir, 'scenario.yaml');
      writeFileSync(
        file,
        `version: 1
name: secrets-everywhere
target:
  baseUrl: ${server.url}
  timeout: 5s
  headers:
    apikey: ${literals.apikey}
    X-Auth: ${literals.xAuth}
    X-Api-Secret-Foo: ${literals.apiSecret}
    X-Env-Header: '\${HEADER_SECRET}'
endpoints:
  pay:
    request:
      method: POST
      path: '/accounts/\${PATH_SECRET}/pay?access_token=\${QUERY_TOKEN}&refresh_token=${literals.refresh}&page=1'
      body:
        amount: 1
        note: '\${BODY_SECRET}'
        password: '\${BODY_PASSWORD}'
        client_secret: ${literals.clientSecret}
    observe:
      - responseId: $.id
      - http: { path: '/ledger?key={{key}}&api_key=\${LEDGER_KEY}', count: $.count }
    suite: none
    attacks:
      sequential-replay: { replays: 1, delayMs: 0 }
      missing-key: {}
settings:
  seed: 4
`,
      );
      const out = join(dir, 'report');
      const r = await cli(['run', file, '--out', out], { env });
      expect(r.code, r.stderr).toBe(1);
      const files = filesUnder(out).map((f) => f.slice(out.length + 1));
      expect(files).toEqual(
        expect.arrayContaining([
          'report.json',
          'report.html',
          'junit.xml',
          'summary.md',
          'traffic.har',
          'events.ndjson',
        ]),
      );
      // Every secret was really sent to the target (so finding none in the reports means something).
      for (const secret of secrets)
        expect(
          received.some((seen) => spellings(secret).some(([, spelling]) => seen.includes(spelling))),
          secret,
        ).toBe(true);

      const outputs = [
        ...filesUnder(out).map((f) => ({ where: f.slice(out.length + 1), text: readFileSync(f, 'utf8') })),
        { where: 'stdout', text: r.stdout },
        { where: 'stderr', text: r.stderr },
      ];
      const leaks = outputs.flatMap(({ where, text }) =>
        secrets.flatMap((secret) =>
          spellings(secret)
            .filter(([, spelling]) => text.includes(spelling))
            .map(([how]) => `${secret} (${how}) in ${where}`),
        ),
      );
      expect(leaks).toEqual([]);
      const events = readFileSync(join(out, 'events.ndjson'), 'utf8');
      expect(events).toContain('access_token=[REDACTED]');
      expect(events).toContain('"apikey":"[REDACTED]"');
      expect(events).toMatch(/"Idempotency-Key":"[0-9a-f-]{36}"/);
    } finally {
      await server.close();
    }
  });
});

/** The ways a value can be written in a report: as is, JSON-escaped (once or twice), percent-encoded, and each HTML/XML-escaped. */
function spellings(secret: string): [string, string][] {
  const json = JSON.stringify(secret).slice(1, -1);
  const base: [string, string][] = [
    ['raw', secret],
    ['json', json],
    ['json twice', JSON.stringify(json).slice(1, -1)],
    ['json, escaped slashes', json.replace(/\//g, '\\/')],
    ['uri', encodeURIComponent(secret)],
    ['uri, lower-case hex', encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['form', new URLSearchParams({ v: secret }).toString().slice(2)],
    ['uri with +', encodeURIComponent(secret).replace(/%20/g, '+')],
    ['path', encodeURI(secret)],
  ];
  const html = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return [
    ...base,
    ...base.map(([how, s]): [string, string] => [`${how}, html`, html(s).replace(/'/g, '&#39;')]),
    ...base.map(([how, s]): [string, string] => [`${how}, xml`, html(s).replace(/'/g, '&apos;')]),
  ];
}
