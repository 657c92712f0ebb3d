import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenarioText } from '../config/index.js';
import { extensionSchemas } from '../engine/extension-schemas.js';
import type { DraftOperation, OpenApiDraft } from './draft.js';
import { draftFromOpenApi, scenarioFromOpenApi } from './openapi.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/openapi/${name}`, import.meta.url));
const STRIPE = fixture('stripe-like.yaml');
const SQUARE = fixture('square-like.json');
const PAYPAL = fixture('paypal-like.yaml');
const dir = mkdtempSync(join(tmpdir(), 'idem-flows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function op(d: OpenApiDraft, endpoint: string): DraftOperation {
  const found = d.operations.find((o) => o.endpoint === endpoint);
  if (found === undefined)
    throw new Error(`no endpoint ${endpoint}: ${d.operations.map((o) => o.endpoint).join(', ')}`);
  return found;
}

let specs = 0;
/** A spec file from an object, for the cases the fixtures do not have. */
function spec(paths: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `spec-${++specs}.json`);
  writeFileSync(file, JSON.stringify({ openapi: '3.0.3', info: { title: 't', version: '1' }, paths, ...extra }));
  return file;
}

const created = (schema: Record<string, unknown> = { type: 'object', properties: { id: { type: 'string' } } }) => ({
  '201': { description: 'created', content: { 'application/json': { schema } } },
});

describe('the Stripe-like fixture: forms, a required key header, links customer → charge → refund', () => {
  it('drafts the refund after a customer and a charge of its own, captured by the links', async () => {
    const d = await draftFromOpenApi(STRIPE, {});
    const refund = op(d, 'create-refund');
    expect(refund.setup.map((s) => [s.name, s.request.path, s.capture])).toEqual([
      ['customer', '/v1/customers', { customer_id: { json: '$.id' } }],
      ['charge', '/v1/charges', { charge_id: { json: '$.id' } }],
    ]);
    // The link's requestBody fills the charge's customer; each setup request carries its own key.
    expect(refund.setup[1]?.request.body).toEqual({
      kind: 'form',
      value: { amount: 1000, currency: 'usd', customer: '{{customer_id}}', metadata: { order_id: 'o-6735' } },
    });
    expect(refund.setup[1]?.request.headers).toEqual({ 'Idempotency-Key': '{{uuid}}' });
    expect(refund.request).toEqual({
      method: 'POST',
      path: '/v1/charges/{{charge_id}}/refunds',
      headers: {},
      body: { kind: 'form', value: { amount: 500 } },
    });
    expect(refund.key).toEqual({ placement: { in: 'header', name: 'Idempotency-Key' }, required: true });
    expect(refund.setup[1]?.reason).toBe(
      'POST /v1/charges provides {charge} of POST /v1/charges/{charge}/refunds (link RefundTheCharge)',
    );
  });

  it('gives the charge a customer from a setup step, and leaves out what it cannot send', async () => {
    const d = await draftFromOpenApi(STRIPE, {});
    const charge = op(d, 'create-charge');
    expect(charge.setup.map((s) => s.name)).toEqual(['customer']);
    expect(charge.request.body).toEqual({
      kind: 'form',
      value: { amount: 1000, currency: 'usd', customer: '{{customer_id}}', metadata: { order_id: 'o-6735' } },
    });
    expect(d.skipped).toEqual(['POST /v1/files (request body is multipart/form-data: not drafted)']);
    expect(d.testHost).toEqual({ host: 'sandbox.payments.example', why: 'its description says "Sandbox"' });
    expect(d.baseUrl).toBe('https://sandbox.payments.example');
  });

  it('writes a scenario the loader accepts: forms, setup steps, captures and the allowed sandbox host', async () => {
    const { text } = await scenarioFromOpenApi(STRIPE, { schemaRef: './s.json' });
    const s = loadScenarioText(text, join(dir, 'stripe.yaml'), extensionSchemas(), {
      BEARERAUTH_TOKEN: 'a',
      BEARERAUTH_TOKEN_OTHER: 'b',
    });
    const refund = s.endpoints.find((e) => e.name === 'create-refund');
    expect(refund?.request.body).toEqual({ kind: 'form', fields: [['amount', '500']] });
    // Per operation: each operation (another principal's too) refunds a charge of its own.
    expect(refund?.setup?.map((step) => step.per)).toEqual(['operation', 'operation']);
    expect(s.endpoints.find((e) => e.name === 'create-charge')?.request.body).toEqual({
      kind: 'form',
      fields: [
        ['amount', '1000'],
        ['currency', 'usd'],
        ['customer', '{{customer_id}}'],
        ['metadata[order_id]', 'o-6735'],
      ],
    });
    expect(s.target.allowHosts).toEqual(['sandbox.payments.example']);
    expect(s.target.baseUrl).toBe('https://sandbox.payments.example');
  });
});

describe('the Square-like fixture: the key in the JSON body, a flow found from the path', () => {
  it('puts the key in the body field the spec requires and drops the field from the drafted body', async () => {
    const d = await draftFromOpenApi(SQUARE, {});
    const pay = op(d, 'create-payment');
    expect(pay.key).toEqual({ placement: { in: 'body', field: 'idempotency_key' }, required: true });
    const body = pay.request.body;
    expect(body?.kind).toBe('json');
    // Required fields only (note and autocomplete have no example); the currency follows its pattern.
    expect(body?.kind === 'json' ? Object.keys(body.value as object) : []).toEqual(['source_id', 'amount_money']);
    expect(JSON.stringify(body)).toMatch(/"currency":"[A-Z]{3}"/);
    expect(pay.idPath).toBe('$.payment.id');
  });

  it('creates the payment to complete, with its own key in its body, and captures the wrapped id', async () => {
    const d = await draftFromOpenApi(SQUARE, {});
    const complete = op(d, 'complete-payment');
    expect(complete.setup).toHaveLength(1);
    const step = complete.setup[0];
    expect(step?.capture).toEqual({ payment_id: { json: '$.payment.id' } });
    expect(step?.request.body?.kind === 'json' && step.request.body.value).toMatchObject({
      idempotency_key: '{{uuid}}',
    });
    expect(complete.request.path).toBe('/v2/payments/{{payment_id}}/complete');
    expect(d.skipped).toEqual(['POST /v2/payments/search (reads: its name says "SearchPayments")']);
    expect(d.testHost?.host).toBe('connect.squareupsandbox.example');
  });

  it('writes a scenario the loader accepts with the key placed in the body', async () => {
    const { text } = await scenarioFromOpenApi(SQUARE, { schemaRef: './s.json' });
    const s = loadScenarioText(text, join(dir, 'square.yaml'), extensionSchemas(), {
      OAUTH2_TOKEN: 'a',
      OAUTH2_TOKEN_OTHER: 'b',
    });
    expect(s.endpoints.map((e) => e.keyIn)).toEqual([
      { in: 'body', path: ['idempotency_key'] },
      { in: 'body', path: ['idempotency_key'] },
    ]);
  });
});

describe('the PayPal-like fixture: a header of its own, optional on one operation and required on another', () => {
  it('uses the documented header as the scenario key header and marks the optional one', async () => {
    const { text, draft } = await scenarioFromOpenApi(PAYPAL, { schemaRef: './s.json' });
    expect(op(draft, 'orders.create').key).toEqual({
      placement: { in: 'header', name: 'PayPal-Request-Id' },
      required: false,
    });
    expect(op(draft, 'orders.capture').key.required).toBe(true);
    // A required header parameter other than the key goes with the request.
    expect(op(draft, 'orders.create').request.headers).toEqual({ Prefer: 'return=representation' });
    // `path.id` in the link names the path parameter.
    expect(op(draft, 'orders.capture').request.path).toBe('/v2/checkout/orders/{{order_id}}/capture');
    expect(draft.skipped).toEqual([
      'PATCH /v2/checkout/orders/{id} (documents no idempotency key, unlike other operations of this spec)',
    ]);
    const s = loadScenarioText(text, join(dir, 'paypal.yaml'), extensionSchemas(), {
      OAUTH2_TOKEN: 'a',
      OAUTH2_TOKEN_OTHER: 'b',
    });
    expect(s.contract.keyHeader).toBe('PayPal-Request-Id');
    expect(s.endpoints.map((e) => [e.name, e.contract?.keyRequired])).toEqual([
      ['orders.create', false],
      ['orders.capture', undefined],
    ]);
  });
});

describe('drafting the parts a spec gives', () => {
  it('fills path parameters from examples, enums, patterns and formats, and flags the ones it cannot', async () => {
    const p = (name: string, schema: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      name,
      in: 'path',
      required: true,
      schema,
      ...extra,
    });
    const d = await draftFromOpenApi(
      spec({
        '/a/{ex}/{en}/{pat}/{uu}/{n}/{unknown}': {
          post: {
            operationId: 'a',
            parameters: [
              p('ex', { type: 'string' }, { example: 'ord 7' }),
              p('en', { type: 'string', enum: ['eu-west', 'us'] }),
              p('pat', { type: 'string', pattern: '^ch_[0-9]{4}$' }),
              p('uu', { type: 'string', format: 'uuid' }),
              p('n', { type: 'integer', minimum: 5 }),
              p('unknown', { type: 'string' }),
            ],
            responses: created(),
          },
        },
      }),
      {},
    );
    const a = op(d, 'a');
    expect(a.request.path).toMatch(
      /^\/a\/ord%207\/eu-west\/ch_\d{4}\/00000000-0000-4000-8000-000000000000\/5\/replace-me-unknown$/,
    );
    expect(a.notes).toEqual([
      'path parameter {unknown} has no example and no operation that creates it: set a real value',
    ]);
  });

  it('finds a header that carries the key by its description, a query key, and a form body key', async () => {
    const form = (props: Record<string, unknown>, required: string[] = []) => ({
      content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: props, required } } },
    });
    const d = await draftFromOpenApi(
      spec({
        '/x': {
          post: {
            operationId: 'header',
            parameters: [
              { name: 'X-Request-Id', in: 'header', required: true, description: 'Makes the request idempotent.' },
            ],
            responses: created(),
          },
        },
        '/y': {
          post: {
            operationId: 'trace',
            parameters: [{ name: 'X-Request-Id', in: 'header', description: 'For tracing.' }],
            responses: created(),
          },
        },
        '/q': {
          post: {
            operationId: 'placeInQuery',
            parameters: [{ name: 'idempotency_key', in: 'query', schema: { type: 'string' } }],
            responses: created(),
          },
        },
        '/f': {
          post: {
            operationId: 'form',
            requestBody: form({ idempotencyKey: { type: 'string' }, amount: { type: 'integer', example: 5 } }, [
              'idempotencyKey',
            ]),
            responses: created(),
          },
        },
      }),
      {},
    );
    expect(op(d, 'header').key).toEqual({ placement: { in: 'header', name: 'X-Request-Id' }, required: true });
    expect(op(d, 'place-in-query').key).toEqual({
      placement: { in: 'query', name: 'idempotency_key' },
      required: false,
    });
    expect(op(d, 'form').key).toEqual({ placement: { in: 'form', field: 'idempotencyKey' }, required: true });
    expect(op(d, 'form').request.body).toEqual({ kind: 'form', value: { amount: 5 } });
    // A request id for tracing is not a key; with keys documented elsewhere, that operation is left out.
    expect(d.skipped).toEqual(['POST /y (documents no idempotency key, unlike other operations of this spec)']);
  });

  it('follows header and request expressions of links, and says which expressions it could not follow', async () => {
    const d = await draftFromOpenApi(
      spec({
        '/accounts/{account}/orders': {
          post: {
            operationId: 'createOrder',
            parameters: [{ name: 'account', in: 'path', required: true, example: 'acc_1' }],
            responses: {
              '201': {
                description: 'created',
                headers: { Location: { schema: { type: 'string' } } },
                links: {
                  ship: {
                    operationId: 'shipOrder',
                    parameters: {
                      order: '$response.header.Location',
                      account: '$request.path.account',
                      region: '$url',
                    },
                  },
                },
              },
            },
          },
        },
        '/accounts/{account}/shipments/{order}': {
          post: {
            operationId: 'shipOrder',
            parameters: [
              { name: 'account', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'order', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'region', in: 'query', required: true, schema: { type: 'string', enum: ['eu'] } },
            ],
            responses: created(),
          },
        },
      }),
      {},
    );
    const ship = op(d, 'ship-order');
    expect(ship.setup.map((s) => [s.name, s.capture])).toEqual([['order', { order_location: { header: 'Location' } }]]);
    expect(ship.request.path).toBe('/accounts/acc_1/shipments/{{order_location}}?region=eu');
    expect(ship.notes).toEqual([
      'link expression $url is not followed: set query region of POST /accounts/{account}/shipments/{order} (link ship) by hand',
    ]);
  });

  it('finds the creating POST elsewhere when the collection has none, only when there is one', async () => {
    const expire = {
      post: {
        operationId: 'expire',
        parameters: [{ name: 'refund', in: 'path', required: true, schema: { type: 'string' } }],
        responses: created(),
      },
    };
    const create = (id: string) => ({ post: { operationId: id, responses: created() } });
    const d = await draftFromOpenApi(
      spec({ '/v1/refunds': create('createRefund'), '/v1/test_helpers/refunds/{refund}/expire': expire }),
      {},
    );
    expect(op(d, 'expire').setup.map((s) => s.request.path)).toEqual(['/v1/refunds']);
    const ambiguous = await draftFromOpenApi(
      spec({
        '/v1/refunds': create('createRefund'),
        '/v2/refunds': create('createRefundV2'),
        '/v1/test_helpers/refunds/{refund}/expire': expire,
      }),
      {},
    );
    expect(op(ambiguous, 'expire').setup).toEqual([]);
    expect(op(ambiguous, 'expire').request.path).toBe('/v1/test_helpers/refunds/replace-me-refund/expire');
  });

  it('stops at cycles and at three levels of producers', async () => {
    // Each collection is created under the one before it: /a/{a}/b/{b}/c/{c}/d/{d}/e.
    const paths: Record<string, unknown> = {};
    let path = '';
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      const collection = `${path}/${name}s`;
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      paths[collection] = { post: { operationId: `create-${name}`, parameters: params, responses: created() } };
      path = `${collection}/{${name}}`;
    }
    const d = await draftFromOpenApi(spec(paths), {});
    const e = op(d, 'create-e');
    // a, b, c are three levels of producers for d; d's own producer chain is cut there.
    expect(e.setup.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(e.request.path).toBe('/as/{{a_id}}/bs/{{b_id}}/cs/{{c_id}}/ds/{{d_id}}/es');
    const cyclic = await draftFromOpenApi(
      spec({
        '/xs': {
          post: {
            operationId: 'x',
            responses: {
              '201': { description: 'x', links: { y: { operationId: 'y', parameters: { id: '$response.body#/id' } } } },
            },
          },
        },
        '/ys/{id}': {
          post: {
            operationId: 'y',
            parameters: [{ name: 'id', in: 'path', required: true }],
            responses: {
              '201': { description: 'y', links: { x: { operationId: 'x', parameters: { id: '$response.body#/id' } } } },
            },
          },
        },
      }),
      {},
    );
    expect(op(cyclic, 'y').setup.map((s) => s.name)).toEqual(['x']);
    expect(op(cyclic, 'x').setup).toEqual([]);
  });

  it('drafts Swagger 2 form parameters as a form, a text body from its example, and skips deprecated operations', async () => {
    const swagger = join(dir, 'swagger.json');
    writeFileSync(
      swagger,
      JSON.stringify({
        swagger: '2.0',
        info: { title: 's', version: '1' },
        host: 'api.sandbox.example',
        basePath: '/v1',
        schemes: ['https'],
        paths: {
          '/pay': {
            post: {
              operationId: 'pay',
              consumes: ['application/x-www-form-urlencoded'],
              parameters: [
                { name: 'amount', in: 'formData', type: 'integer', required: true },
                { name: 'Idempotency-Key', in: 'header', type: 'string', required: true },
              ],
              responses: {
                '201': { description: 'ok', schema: { type: 'object', properties: { id: { type: 'string' } } } },
              },
            },
          },
          '/old': { post: { operationId: 'old', deprecated: true, responses: {} } },
        },
      }),
    );
    const d = await draftFromOpenApi(swagger, {});
    expect(op(d, 'pay').request).toMatchObject({ path: '/v1/pay', body: { kind: 'form', value: { amount: 1 } } });
    expect(d.skipped).toEqual(['POST /old (deprecated)']);
    expect(d.testHost?.host).toBe('api.sandbox.example');

    const xml = await draftFromOpenApi(
      spec({
        '/xml': {
          post: {
            operationId: 'xml',
            requestBody: { content: { 'application/xml': { example: '<pay amount="5"/>' } } },
            responses: created(),
          },
        },
      }),
      {},
    );
    expect(op(xml, 'xml').request.body).toEqual({
      kind: 'text',
      text: '<pay amount="5"/>',
      contentType: 'application/xml',
    });
  });

  it("sends the spec's own {{placeholders}} as data, never as templates", async () => {
    const file = spec({
      '/devices/{device}/actions': {
        post: {
          operationId: 'act',
          parameters: [
            { name: 'device', in: 'path', required: true, example: '{{DEVICE_ID}}' },
            { name: 'Idempotency-Key', in: 'header', required: true },
          ],
          requestBody: {
            content: { 'application/json': { example: { device_id: '{{DEVICE_ID}}', note: 'a }} b' } } },
          },
          responses: created(),
        },
      },
    });
    const { text, draft } = await scenarioFromOpenApi(file, { schemaRef: './s.json' });
    const act = op(draft, 'act');
    expect(act.request.body).toEqual({ kind: 'json', value: { device_id: '{ {DEVICE_ID} }', note: 'a } } b' } });
    expect(act.request.path).toBe(`/devices/${encodeURIComponent('{ {DEVICE_ID} }')}/actions`);
    expect(act.notes).toEqual([
      "the spec's example values hold {{…}} placeholders (written as { {…} } here): put real values in",
    ]);
    const s = loadScenarioText(text, join(dir, 'braces.yaml'), extensionSchemas(), {});
    expect(s.endpoints[0]?.request.body).toEqual({
      kind: 'json',
      value: { device_id: '{ {DEVICE_ID} }', note: 'a } } b' },
    });
  });

  it('reads a description with broken and remote references offline, and says what it left out', async () => {
    const file = spec({
      '/p': {
        post: {
          operationId: 'p',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: true }],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['a', 'b'],
                  properties: {
                    a: { $ref: 'https://schemas.example/common.json#/String' },
                    b: { $ref: '#/components/schemas/Missing' },
                  },
                },
              },
            },
          },
          responses: created(),
        },
      },
    });
    const { text, draft } = await scenarioFromOpenApi(file, { schemaRef: './s.json' });
    expect(draft.warnings).toHaveLength(1);
    expect(draft.warnings[0]).toMatch(/^2 \$ref pointer\(s\) could not be resolved/);
    expect(text).toMatch(/^# WARNING: 2 \$ref pointer/m);
    expect(op(draft, 'p').request.body?.kind).toBe('json');
  });
});
