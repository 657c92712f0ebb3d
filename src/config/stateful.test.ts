import { describe, expect, it } from 'vitest';
import { ScenarioError, type ScenarioIssue } from '../errors/errors.js';
import { fakeExt } from './__fixtures__/ext.js';
import { loadScenarioText, scenarioJsonSchema } from './load.js';

const FILE = '/abs/stateful.yaml';

function issuesOf(text: string): string[] {
  try {
    loadScenarioText(text, FILE, fakeExt, {});
  } catch (e) {
    if (e instanceof ScenarioError)
      return e.issues.map(
        (i: ScenarioIssue) => `${i.line}:${i.col} ${i.path} ${i.message}${i.hint ? ` | ${i.hint}` : ''}`,
      );
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

const HEAD = `version: 1
name: stripe-like
target:
  baseUrl: http://127.0.0.1:4010
`;

const STATEFUL = `${HEAD}setup:
  - name: customer
    request: { path: /v1/customers, form: { email: "audit+{{uuid}}@example.test" } }
    capture:
      customer_id: $.id
teardown:
  - request: { method: DELETE, path: "/v1/customers/{{customer_id}}" }
endpoints:
  refund:
    setup:
      - name: charge
        per: operation
        request:
          path: /v1/charges
          headers: { Idempotency-Key: "setup-{{uuid}}" }
          form: { amount: 1000, currency: usd, customer: "{{customer_id}}", metadata: { order: o-1 }, expand: [a, b], live: false, note: null }
        capture:
          charge_id: $.id
          charge_url: { header: Location }
          charge_ref: { header: Location, pattern: "/charges/([^/]+)$" }
        expect: [200, 201]
      - name: settle
        per: operation
        request: { path: "/v1/charges/{{charge_id}}/capture", headers: { X-Key: "{{key}}" } }
    teardown:
      - name: void
        request: { path: "/v1/charges/{{charge_id}}/void" }
      - request: { path: "/v1/customers/{{customer_id}}/audit-done" }
    request:
      path: /v1/charges/{{charge_id}}/refunds
      form: { amount: 500 }
    key: { value: "{{uuid}}", form: idempotency_key, required: false }
    vary: { amount: integer }
  square:
    request:
      path: /v2/payments
      body: { source_id: cnon, amount_money: { amount: 100, currency: USD }, customer: "{{customer_id}}" }
    key: { body: idempotency_key }
  paypal:
    request: { path: /v2/checkout/orders, body: { intent: CAPTURE } }
    key: { value: "pp-{{uuid}}", header: PayPal-Request-Id }
  xml:
    request: { path: /soap, text: "<pay><amount>5</amount></pay>", contentType: application/xml }
    key: { query: idem }
    suite: none
    attacks: { concurrent-burst: { copies: 5 } }
`;

describe('stateful scenarios', () => {
  it('resolves setup, captures, teardown, every body kind and key placement', () => {
    const s = loadScenarioText(STATEFUL, FILE, fakeExt, {});
    expect(s.setup).toEqual([
      {
        name: 'customer',
        per: 'run',
        request: {
          method: 'POST',
          path: '/v1/customers',
          headers: {},
          body: { kind: 'form', fields: [['email', 'audit+{{uuid}}@example.test']] },
        },
        capture: [{ name: 'customer_id', source: { from: 'json', path: '$.id' } }],
        expect: undefined,
      },
    ]);
    expect(s.teardown).toEqual([
      {
        name: 'teardown[0]',
        per: 'run',
        request: { method: 'DELETE', path: '/v1/customers/{{customer_id}}', headers: {}, body: undefined },
        expect: undefined,
      },
    ]);
    const [refund, square, paypal, xml] = s.endpoints;
    expect(refund?.setup?.[0]).toMatchObject({
      name: 'charge',
      per: 'operation',
      request: {
        body: {
          kind: 'form',
          fields: [
            ['amount', '1000'],
            ['currency', 'usd'],
            ['customer', '{{customer_id}}'],
            ['metadata[order]', 'o-1'],
            ['expand[0]', 'a'],
            ['expand[1]', 'b'],
            ['live', 'false'],
            ['note', ''],
          ],
        },
      },
      capture: [
        { name: 'charge_id', source: { from: 'json', path: '$.id' } },
        { name: 'charge_url', source: { from: 'header', name: 'Location' } },
        { name: 'charge_ref', source: { from: 'header', name: 'Location', pattern: '/charges/([^/]+)$' } },
      ],
      expect: [200, 201],
    });
    // A teardown step that renders a per-operation capture runs per operation; the other once.
    expect(refund?.teardown?.map((t) => [t.name, t.per])).toEqual([
      ['void', 'operation'],
      ['teardown[1]', 'run'],
    ]);
    expect(refund?.keyIn).toEqual({ in: 'form', name: 'idempotency_key' });
    expect(refund?.contract).toEqual({ keyRequired: false });
    expect(square?.keyIn).toEqual({ in: 'body', path: ['idempotency_key'] });
    expect(square?.key).toBe('{{uuid}}');
    expect(paypal?.keyIn).toEqual({ in: 'header', name: 'PayPal-Request-Id' });
    expect(paypal?.key).toBe('pp-{{uuid}}');
    expect(xml?.request.body).toEqual({
      kind: 'text',
      text: '<pay><amount>5</amount></pay>',
      contentType: 'application/xml',
    });
    expect(xml?.keyIn).toEqual({ in: 'query', name: 'idem' });
    expect(xml?.attacks).toEqual([{ id: 'concurrent-burst', options: { copies: 5, sync: 'last-byte' } }]);
    expect(refund?.attacks.map((a) => a.id)).toEqual(['missing-key', 'concurrent-burst']);
  });

  it('refuses a request with two bodies, text without its type, and a key where the body cannot hold it', () => {
    expect(
      issuesOf(`${HEAD}endpoints:
  a:
    request: { path: /a, body: { x: 1 }, form: { x: 1 } }
  b:
    request: { path: /b, text: hi }
  c:
    request: { path: /c, form: { x: 1 } }
    key: { body: idempotency_key }
  d:
    request: { path: /d, body: [1] }
    key: { form: k, query: q }
  e:
    request: { path: /e, contentType: text/plain, headers: { Content-Type: text/plain } }
`),
    ).toEqual([
      '7:42 endpoints.a.request.form a request has one body: body and form are both given | keep one of body (JSON), form or text',
      '9:26 endpoints.b.request.text a text body needs its contentType | e.g. contentType: application/xml',
      '12:12 endpoints.c.key.body the key goes into a JSON body field, but the request has no JSON body | give request.body a mapping, or put the key in a header, form field or query parameter',
      '15:12 endpoints.d.key.form the key goes into a form field, but the request has no form | give the request a form, or put the key in a header, body field or query parameter',
      '15:21 endpoints.d.key.query the key travels in one place: form and query are both given',
      '17:26 endpoints.e.request.contentType contentType without a body | add body, form or text, or remove contentType',
      '17:62 endpoints.e.request.headers.Content-Type the content type is given twice, as contentType and as a header | keep contentType',
    ]);
  });

  it('checks every template against the captures visible at its place, with line and column', () => {
    expect(
      issuesOf(`${HEAD}setup:
  - name: login
    request: { path: "/login/{{token}}" }
    capture: { token: $.token }
  - name: customer
    per: operation
    request: { path: /c, headers: { Authorization: "Bearer {{token}}" }, body: { k: "{{key}}" } }
    capture: { uuid: $.id }
endpoints:
  pay:
    setup:
      - name: charge
        request: { path: /charges, form: { c: "{{charge_id}}" } }
        capture: { charge_id: $.id }
      - name: op
        per: operation
        request: { path: "/op/{{charge_id}}" }
        capture: { op_id: $.id }
      - name: later
        request: { path: "/later/{{op_id}}/{{key}}" }
    teardown:
      - request: { path: "/t/{{op_id}}/{{key}}/{{nope}}" }
    request: { path: "/pay/{{op_id}}", text: "{{token}} {{chrge_id}}", contentType: text/plain }
    key: "{{uuid}}-{{charge_id}}"
    observe:
      - http: { path: "/ledger?key={{key}}&c={{charge_id}}", count: $.n }
`),
    ).toEqual([
      "10:10 setup[1].per scenario-level setup runs once per run; per: 'operation' belongs to an endpoint's setup",
      "12:16 setup[1].capture.uuid 'uuid' is a built-in variable; give the capture another name",
    ]);
    expect(
      issuesOf(`${HEAD}setup:
  - name: login
    request: { path: "/login/{{token}}" }
    capture: { token: $.token }
  - name: customer
    request: { path: /c, headers: { Authorization: "Bearer {{token}}" }, body: { k: "{{key}}" } }
endpoints:
  pay:
    setup:
      - name: charge
        request: { path: /charges, form: { c: "{{charge_id}}" } }
        capture: { charge_id: $.id }
      - name: op
        per: operation
        request: { path: "/op/{{charge_id}}/{{key}}" }
        capture: { op_id: $.id }
      - name: later
        request: { path: "/later/{{op_id}}/{{key}}" }
    teardown:
      - request: { path: "/t/{{op_id}}/{{key}}/{{nope}}" }
    request: { path: "/pay/{{op_id}}", text: "{{token}} {{chrge_id}}", contentType: text/plain }
    key: "{{uuid}}-{{charge_id}}"
    observe:
      - http: { path: "/ledger?key={{key}}&c={{charge_id}}", count: $.n }
`),
    ).toEqual([
      '7:22 setup[0].request.path unknown template variable {{token}} in a setup request path; it would be sent literally | available here: {{uuid}}',
      '10:85 setup[1].request.body.k {{key}} is not rendered in a setup request JSON body | scenario-level setup and teardown run outside any operation; only an endpoint’s `per: operation` steps render {{key}}',
      '15:47 endpoints.pay.setup[0].request.form.c unknown template variable {{charge_id}} in a setup request form; it would be sent literally | available here: {{uuid}}, {{token}}',
      '22:26 endpoints.pay.setup[2].request.path unknown template variable {{op_id}} in a setup request path; it would be sent literally | available here: {{uuid}}, {{token}}, {{charge_id}}',
      '22:26 endpoints.pay.setup[2].request.path {{key}} is not rendered in a setup request path | a `per: run` step runs outside any operation; give the step `per: operation` to render the operation’s {{key}}',
      '24:26 endpoints.pay.teardown[0].request.path unknown template variable {{nope}} in a teardown request path; it would be sent literally | available here: {{uuid}}, {{token}}, {{charge_id}}, {{op_id}}, {{key}}',
      '25:46 endpoints.pay.request.text unknown template variable {{chrge_id}} in the request text body; it would be sent literally | did you mean {{charge_id}}?',
      '26:10 endpoints.pay.key unknown template variable {{charge_id}} in the key template; it would be sent literally | available here: {{uuid}}',
    ]);
  });

  it('refuses duplicate step names and captures defined twice where both are visible', () => {
    expect(
      issuesOf(`${HEAD}setup:
  - { name: customer, request: { path: /c }, capture: { id: $.id } }
endpoints:
  a:
    setup:
      - { name: customer, request: { path: /c2 } }
      - { name: charge, request: { path: /ch }, capture: { id: $.id, other: $.x } }
      - { name: charge, request: { path: /ch2 }, capture: { other: $.y } }
    request: { path: /a }
  b:
    setup:
      - { name: charge, request: { path: /ch }, capture: { other: $.x } }
    request: { path: /b }
`),
    ).toEqual([
      "10:17 endpoints.a.setup[0].name setup step name 'customer' is already used by setup[0] | reports name steps by it: give each its own name",
      '11:60 endpoints.a.setup[1].capture.id {{id}} is already captured at setup[0].capture.id | give each capture its own name',
      "12:17 endpoints.a.setup[2].name setup step name 'charge' is already used by endpoints.a.setup[1] | reports name steps by it: give each its own name",
      '12:61 endpoints.a.setup[2].capture.other {{other}} is already captured at endpoints.a.setup[1].capture.other | give each capture its own name',
    ]);
  });

  it('tunes the default suite, adds opt-in attacks, and refuses leaving out what is not in the suite', () => {
    const s = loadScenarioText(
      `${HEAD}endpoints:
  a:
    request: { path: /a }
    attacks: { concurrent-burst: { copies: 30 }, missing-key: false, payload-mismatch: {} }
  b:
    request: { path: /b }
    attacks: {}
  c:
    request: { path: /c }
    suite: none
`,
      FILE,
      fakeExt,
      {},
    );
    expect(s.endpoints.map((e) => e.attacks)).toEqual([
      [
        { id: 'concurrent-burst', options: { copies: 30, sync: 'last-byte' } },
        { id: 'payload-mismatch', options: { runs: 50 } },
      ],
      [
        { id: 'missing-key', options: {} },
        { id: 'concurrent-burst', options: { copies: 10, sync: 'last-byte' } },
      ],
      [],
    ]);
    expect(
      issuesOf(`${HEAD}endpoints:
  a:
    request: { path: /a }
    suite: none
    attacks: { payload-mismatch: false, concurrent-burst: true }
`),
    ).toEqual(['9:59 endpoints.a.attacks.concurrent-burst expected false or a mapping, got true']);
    expect(
      issuesOf(`${HEAD}endpoints:
  a:
    request: { path: /a }
    suite: none
    attacks: { payload-mismatch: false, concurrent-burst: {} }
`),
    ).toEqual([
      "9:34 endpoints.a.attacks.payload-mismatch 'payload-mismatch: false' leaves out an attack that is not in the suite | with suite: none only the attacks named run; remove this line",
    ]);
  });

  it('describes setup, teardown, bodies, key placement and suites in the JSON Schema', () => {
    const schema = JSON.stringify(scenarioJsonSchema(fakeExt));
    for (const word of [
      '"setup"',
      '"teardown"',
      '"capture"',
      '"form"',
      '"text"',
      '"contentType"',
      '"suite"',
      '"required"',
      '"per"',
    ])
      expect(schema).toContain(word);
  });
});
