/**
 * The broken-scenario corpus (test/fixtures/broken-scenarios): every file must be refused by
 * both `validate` and `run` with exit 2 and a message that names the file, the line and column,
 * and the field path, never a stack trace. `run` must refuse before sending anything.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, type CliRun } from './helpers/cli.js';

const DIR = join(import.meta.dirname, 'fixtures', 'broken-scenarios');

/** file, line, column (0 when the problem has no position), field path, message. */
type Expected = readonly [file: string, line: number, col: number, path: string, message: string];

const EXPECTED: readonly Expected[] = [
  ['01-invalid-yaml-indent.yaml', 5, 12, '(document)', 'Nested mappings are not allowed in compact mappings'],
  [
    '02-invalid-yaml-unclosed-flow.yaml',
    12,
    5,
    '(document)',
    'Flow map in block collection must be sufficiently indented a',
  ],
  ['03-invalid-yaml-tab-indent.yaml', 5, 1, '(document)', 'Tabs are not allowed as indentation'],
  ['04-duplicate-key.yaml', 6, 3, '(document)', 'Map keys must be unique'],
  ['05-empty.yaml', 0, 0, '(document)', 'scenario file is empty'],
  ['06-only-comments.yaml', 0, 0, '(document)', 'scenario file is empty'],
  ['07-a-list.yaml', 1, 1, '(document)', 'a scenario must be a mapping of fields, not a list'],
  ['08-a-scalar.yaml', 1, 1, '(document)', 'a scenario must be a mapping of fields, not a single value'],
  ['09-missing-version.yaml', 1, 1, 'version', 'expected 1, got nothing'],
  ['10-wrong-version.yaml', 1, 10, 'version', 'expected 1, got 2'],
  ['11-version-string.yaml', 1, 10, 'version', "expected 1, got the string '1'"],
  ['12-bad-name.yaml', 2, 7, 'name', "name 'Broken Scenario!' must be lower-case letters, digits, "],
  ['13-missing-target.yaml', 1, 1, 'target', "missing required field 'target'"],
  ['14-baseurl-not-url.yaml', 4, 12, 'target.baseUrl', "'not a url' is not an http:// or https:// URL"],
  ['15-baseurl-ftp.yaml', 4, 12, 'target.baseUrl', "'ftp://127.0.0.1/' is not an http:// or https:// URL"],
  ['16-baseurl-number.yaml', 4, 12, 'target.baseUrl', 'expected a string, got 8080'],
  ['17-timeout-bad-unit.yaml', 5, 12, 'target.timeout', "invalid duration '5 parsecs'"],
  ['18-timeout-negative.yaml', 5, 12, 'target.timeout', 'invalid duration -5'],
  ['19-timeout-zero.yaml', 5, 12, 'target.timeout', 'duration must be greater than 0'],
  ['20-timeout-too-long.yaml', 5, 12, 'target.timeout', 'duration must be at most 10m'],
  ['21-timeout-boolean.yaml', 5, 12, 'target.timeout', 'expected a duration'],
  ['22-unknown-top-level-field.yaml', 16, 1, 'extras', "unknown key 'extras'"],
  ['23-unknown-target-field.yaml', 6, 3, 'target.retries', "unknown key 'retries'"],
  ['24-unknown-attack.yaml', 15, 7, 'endpoints.pay.attacks.sequential-replya', "unknown attack 'sequential-replya'"],
  [
    '25-attack-options-wrong-type.yaml',
    15,
    37,
    'endpoints.pay.attacks.sequential-replay.replays',
    "expected a number, got the string 'many'",
  ],
  ['26-attack-option-unknown.yaml', 15, 28, 'endpoints.pay.attacks.sequential-replay.replay', "unknown key 'replay'"],
  [
    '27-attack-option-out-of-range.yaml',
    15,
    37,
    'endpoints.pay.attacks.sequential-replay.replays',
    'must be at most 20',
  ],
  ['28-every-attack-disabled.yaml', 7, 3, 'endpoints', 'every attack is disabled'],
  ['29-unknown-observer.yaml', 13, 9, 'endpoints.pay.observe[0].responseID', "unknown observer 'responseID'"],
  [
    '30-observer-two-keys.yaml',
    13,
    9,
    'endpoints.pay.observe[0]',
    'an observe item names exactly one observer, found 2: respons',
  ],
  [
    '31-method-invalid.yaml',
    9,
    15,
    'endpoints.pay.request.method',
    "the string 'FETCH' is not one of 'GET', 'HEAD', 'POST', 'PUT",
  ],
  ['32-path-relative.yaml', 10, 13, 'endpoints.pay.request.path', "path 'pay' must start with '/'"],
  ['33-headers-not-map.yaml', 6, 12, 'target.headers', 'expected a mapping, got a list'],
  ['34-header-bad-name.yaml', 7, 5, 'target.headers.Bad Header', "'Bad Header' is not a valid HTTP header name"],
  ['35-endpoints-empty.yaml', 6, 12, 'endpoints', 'at least one endpoint is required'],
  ['36-endpoints-list.yaml', 7, 3, 'endpoints', 'expected a mapping, got a list'],
  [
    '37-endpoint-bad-name.yaml',
    7,
    3,
    'endpoints.Pay Now',
    "endpoint name 'Pay Now' must be lower-case letters, digits, ",
  ],
  ['38-missing-request.yaml', 8, 5, 'endpoints.pay.request', "missing required field 'request'"],
  ['39-missing-variable.yaml', 4, 12, 'target.baseUrl', 'environment variable IDEM_BROKEN_UNSET_URL is not set'],
  [
    '40-missing-variable-in-header.yaml',
    7,
    20,
    'target.headers.Authorization',
    'environment variable IDEM_BROKEN_UNSET_TOKEN is not set',
  ],
  ['41-alias-bomb.yaml', 2, 8, '(document)', 'the document cannot be expanded: Excessive alias count indic'],
  ['42-undefined-alias.yaml', 11, 13, '(document)', 'the document cannot be expanded: Unresolved alias'],
  ['43-merge-key.yaml', 6, 3, 'target.<<', "unknown key '<<'"],
  ['44-settings-wrong-types.yaml', 17, 16, 'settings.maxRequests', 'must be greater than 0'],
  ['45-failon-unknown.yaml', 17, 11, 'settings.failOn', "the string 'catastrophic' is not one of 'info', 'low', 'medi"],
  ['46-bodycap-too-big.yaml', 17, 12, 'settings.bodyCap', 'must be at most 16777216'],
  ['47-seed-float.yaml', 17, 9, 'settings.seed', 'expected a whole number, got 1.5'],
  ['48-vary-not-in-body.yaml', 12, 13, 'endpoints.pay.vary.price', "vary field 'price' is not in request.body"],
  [
    '49-contract-bad-profile.yaml',
    7,
    12,
    'contract.profile',
    "the string 'paypal' is not one of 'ietf', 'stripe', 'lenient",
  ],
  ['50-contract-status-out-of-range.yaml', 7, 16, 'contract.onMismatch[0]', 'HTTP status codes are 100..599'],
  ['51-key-empty.yaml', 12, 10, 'endpoints.pay.key', 'key template cannot be empty'],
  ['52-header-value-newline.yaml', 7, 14, 'target.headers.X-Trace', 'header values cannot contain line breaks'],
  ['53-flow-unquoted-variable.yaml', 16, 20, '(document)', 'Unexpected flow-map-start at node end'],
  ['54-wrong-type-target-is-string.yaml', 3, 9, 'target', "expected a mapping, got the string 'http://127.0.0.1:9'"],
  ['55-binary-junk.yaml', 0, 0, '(document)', 'file is not UTF-8 text'],
  ['56-nul-byte.yaml', 2, 10, '(document)', 'file contains the control character U+0000; it does not look'],
  ['57-utf16.yaml', 0, 0, '(document)', 'file is not UTF-8 text'],
  ['58-credentials-in-url.yaml', 5, 12, 'target.baseUrl', 'credentials in the URL (user:password@) would be printed'],
  [
    '59-key-template-typo.yaml',
    12,
    10,
    'endpoints.pay.key',
    'unknown template variable {{uuuid}} in the key template; it would be sent literally (did you mean {{uuid}}?)',
  ],
  [
    '60-key-template-fixed.yaml',
    12,
    10,
    'endpoints.pay.key',
    "the key template 'fixed-1' has no {{uuid}}, so every operation would reuse the same key",
  ],
  [
    '61-key-template-principal-only.yaml',
    14,
    10,
    'endpoints.pay.key',
    '{{principal}} is not rendered in the key template (available here: {{uuid}})',
  ],
  [
    '62-path-template-typo.yaml',
    10,
    13,
    'endpoints.pay.request.path',
    'unknown template variable {{principle}} in the request path; it would be sent literally (did you mean {{principal}}?)',
  ],
  [
    '63-header-template-unclosed.yaml',
    7,
    19,
    'target.headers.X-Request-Id',
    "'{{uuid}' in a header value is not a complete {{name}} placeholder",
  ],
  [
    '64-observer-path-template-typo.yaml',
    13,
    23,
    'endpoints.pay.observe[0].http.path',
    'unknown template variable {{tennant}} in the observer path; it would be sent literally (available here: {{key}})',
  ],
  [
    '65-observer-json-path-invalid.yaml',
    13,
    53,
    'endpoints.pay.observe[0].http.count',
    `invalid JSON path '$[?(@.x == "': filter and script expressions`,
  ],
  [
    '66-response-id-unclosed-bracket.yaml',
    13,
    21,
    'endpoints.pay.observe[0].responseId',
    "invalid JSON path '$.data[0': '[' at position 6 is never closed",
  ],
  [
    '67-cross-endpoint-unknown-endpoint.yaml',
    15,
    37,
    'endpoints.pay.attacks.cross-endpoint.endpoints[0]',
    "unknown endpoint 'refnd' (did you mean 'refund'?)",
  ],
  [
    '68-cross-principal-unknown-principal.yaml',
    17,
    37,
    'endpoints.pay.attacks.cross-principal.principal',
    "unknown principal 'bobb' (did you mean 'bob'?)",
  ],
  [
    '69-sql-placeholder-count.yaml',
    16,
    19,
    'endpoints.pay.observe[0].sql.params',
    'the query uses placeholders up to $2 but params gives 1 value(s)',
  ],
  [
    '70-ignore-fields-negative-index.yaml',
    15,
    43,
    'endpoints.pay.attacks.sequential-replay.ignoreFields[0]',
    "invalid JSON path '$.items[-1]': negative index [-1] is not supported; use a slice: [-1:]",
  ],
  ['71-sink-port-out-of-range.yaml', 13, 25, 'endpoints.pay.observe[0].sink.listen', 'the port must be 0..65535'],
  [
    '72-sql-key-in-query.yaml',
    15,
    18,
    'endpoints.pay.observe[0].sql.query',
    'the query text is not a template: {{...}} would be sent to the database literally',
  ],
  [
    '73-redis-key-template-unknown.yaml',
    13,
    51,
    'endpoints.pay.observe[0].redis.key',
    'unknown template variable {{scope}} in the Redis key template',
  ],
  [
    '74-attack-header-template-typo.yaml',
    15,
    65,
    'endpoints.pay.attacks.in-flight-duplicate.firstRequestHeaders.X-Slow-Key',
    'unknown template variable {{kye}} in a header value; it would be sent literally (did you mean {{key}}?)',
  ],
  ['75-two-bodies.yaml', 11, 7, 'endpoints.pay.request.form', 'a request has one body: body and form are both given'],
  [
    '76-body-template-typo.yaml',
    14,
    36,
    'endpoints.pay.request.body.customer',
    'unknown template variable {{custmer_id}} in the request JSON body; it would be sent literally (did you mean {{customer_id}}?)',
  ],
  [
    '77-key-in-run-setup.yaml',
    10,
    64,
    'endpoints.refund.setup[0].request.headers.Idempotency-Key',
    '{{key}} is not rendered in a header value (a `per: run` step runs outside any operation',
  ],
  [
    '78-capture-used-before-setup.yaml',
    10,
    26,
    'endpoints.refund.setup[0].request.path',
    'unknown template variable {{customer_id}} in a setup request path; it would be sent literally',
  ],
  [
    '79-key-in-body-without-body.yaml',
    11,
    31,
    'endpoints.pay.key.body',
    'the key goes into a JSON body field, but the request has no JSON body',
  ],
  ['80-text-without-content-type.yaml', 10, 7, 'endpoints.pay.request.text', 'a text body needs its contentType'],
];

function expectRefused(r: CliRun, abs: string, line: number, col: number, path: string, message: string): void {
  expect(r.code).toBe(2);
  const where = line > 0 ? `${abs}:${line}:${col}` : abs;
  expect(r.stderr).toContain(`${where}  ${path}  ${message}`);
  expect(r.stderr).toMatch(
    /^error: (invalid scenario|\d+ problems in the scenario) \[IDEM_SCENARIO_(INVALID|NOT_FOUND)\]/,
  );
  expect(r.stderr).not.toMatch(/internal error|\n\s+at |Error:/);
  expect(r.stdout).toBe('');
}

describe('broken-scenario corpus', () => {
  it('has an expectation for every file, and at least 40 files', () => {
    const files = readdirSync(DIR).sort();
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(EXPECTED.map((e) => e[0])).toEqual(files);
  });

  const out = mkdtempSync(join(tmpdir(), 'idem-audit-broken-'));
  for (const [file, line, col, path, message] of EXPECTED) {
    it(`${file}: validate and run both exit 2 at ${line}:${col} ${path}`, async () => {
      const abs = join(DIR, file);
      const validate = await cli(['validate', abs]);
      expectRefused(validate, abs, line, col, path, message);
      const reportDir = join(out, file);
      const run = await cli(['run', abs, '--out', reportDir]);
      expectRefused(run, abs, line, col, path, message);
      // Refused before the report folder (let alone a request) was made.
      expect(readdirSync(out)).not.toContain(file);
    });
  }
});

describe('credentials in a target URL', () => {
  it('are refused without being echoed', async () => {
    const r = await cli(['validate', join(DIR, '58-credentials-in-url.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('s3cret-pw');
  });
});

describe('broken scenarios generated on the fly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'idem-audit-broken-gen-'));

  it('a huge file (2 MiB) is refused by size, before it is read', async () => {
    const abs = join(dir, 'huge.yaml');
    writeFileSync(abs, `version: 1\n${'# padding padding padding padding\n'.repeat(64 * 1024)}`);
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, abs]);
      expectRefused(r, abs, 0, 0, '(document)', 'file is 2228235 bytes; scenario files are limited to 1 MiB');
    }
  });

  it('a relative path is resolved against the working directory and shown absolute', async () => {
    mkdirSync(join(dir, 'nested'), { recursive: true });
    const abs = join(dir, 'nested', 'bad.yaml');
    writeFileSync(abs, 'version: 1\nname: Not OK\n');
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, relative(dir, abs)], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${abs}:2:7  name  name 'Not OK' must be lower-case`);
    }
  });

  it('a missing relative path names the absolute path it looked for', async () => {
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, join('..', 'nowhere', 'scenario.yaml')], { cwd: join(dir, 'nested') });
      expectRefused(r, join(dir, 'nowhere', 'scenario.yaml'), 0, 0, '(document)', 'scenario file not found');
    }
  });

  it('a directory is not a scenario', async () => {
    for (const cmd of ['validate', 'run']) {
      const r = await cli([cmd, dir]);
      expectRefused(r, dir, 0, 0, '(document)', 'scenario file is not a regular file');
    }
  });
});
