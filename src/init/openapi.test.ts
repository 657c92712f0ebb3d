import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { extensionSchemas } from '../engine/extension-schemas.js';
import { loadScenarioText } from '../config/index.js';
import { draftFromOpenApi, scenarioFromOpenApi } from './openapi.js';

const PETSTORE = fileURLToPath(new URL('../../test/fixtures/openapi/petstore3.yaml', import.meta.url));
const ENV = { PETSTORE_AUTH_TOKEN: 'a', PETSTORE_AUTH_TOKEN_OTHER: 'b' };
const dir = mkdtempSync(join(tmpdir(), 'idem-openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('draftFromOpenApi on the Swagger Petstore excerpt', () => {
  it('drafts one endpoint per POST/PATCH operation it can send, and lists the rest as skipped', async () => {
    const d = await draftFromOpenApi(PETSTORE, {});
    expect(d.operations.map((o) => `${o.request.method} ${o.request.path}`)).toEqual([
      'POST /api/v3/pet',
      'POST /api/v3/pet/{{pet_id}}',
      'POST /api/v3/store/order',
      'POST /api/v3/user',
      'POST /api/v3/user/createWithList',
    ]);
    expect(d.operations.map((o) => o.endpoint)).toEqual([
      'add-pet',
      'update-pet-with-form',
      'place-order',
      'create-user',
      'create-users-with-list-input',
    ]);
    expect(d.skipped.join('\n')).toMatch(/PUT \/pet .*--put/);
    expect(d.skipped.join('\n')).toMatch(/DELETE \/pet\/\{petId\} .*--delete/);
    expect(d.skipped.join('\n')).toMatch(
      /POST \/pet\/\{petId\}\/uploadImage \(request body is application\/octet-stream: not drafted\)/,
    );
  });

  it('builds bodies from the required fields and those with examples, never readOnly ones', async () => {
    const d = await draftFromOpenApi(PETSTORE, {});
    const pet = d.operations.find((o) => o.endpoint === 'add-pet');
    // tags and status are optional and the spec gives them no value: an invented one could be refused.
    expect(pet?.request.body).toEqual({
      kind: 'json',
      value: { id: 10, name: 'doggie', category: { id: 1, name: 'Dogs' }, photoUrls: ['string'] },
    });
    expect(pet?.idPath).toBe('$.id');
    expect(d.operations.find((o) => o.endpoint === 'place-order')?.request.body).toEqual({
      kind: 'json',
      value: { id: 10, petId: 198772, quantity: 7, status: 'approved' },
    });
  });

  it('creates the pet a pet operation acts on in a setup step', async () => {
    const d = await draftFromOpenApi(PETSTORE, {});
    const update = d.operations.find((o) => o.endpoint === 'update-pet-with-form');
    expect(update?.setup).toEqual([
      expect.objectContaining({
        name: 'pet',
        request: expect.objectContaining({ method: 'POST', path: '/api/v3/pet' }) as unknown,
        capture: { pet_id: { json: '$.id' } },
      }),
    ]);
    // The username of PUT /user/{username} is a property of what POST /user creates.
    const withPut = await draftFromOpenApi(PETSTORE, { includePut: true });
    const updateUser = withPut.operations.find((o) => o.endpoint === 'update-user');
    expect(updateUser?.request.path).toBe('/api/v3/user/{{user_username}}');
    expect(updateUser?.setup[0]?.capture).toEqual({ user_username: { json: '$.username' } });
  });

  it('turns the oauth2 scheme used by the drafted operations into an Authorization placeholder', async () => {
    const d = await draftFromOpenApi(PETSTORE, {});
    expect(d.credentials).toEqual([
      {
        scheme: 'petstore_auth',
        header: 'Authorization',
        value: 'Bearer ${PETSTORE_AUTH_TOKEN}',
        otherValue: 'Bearer ${PETSTORE_AUTH_TOKEN_OTHER}',
      },
    ]);
  });

  it('includes PUT and DELETE when asked', async () => {
    const d = await draftFromOpenApi(PETSTORE, { includePut: true, includeDelete: true });
    const methods = d.operations.map((o) => `${o.request.method} ${o.request.path}`);
    expect(methods).toContain('PUT /api/v3/pet');
    expect(methods).toContain('PUT /api/v3/user/{{user_username}}');
    expect(methods).toContain('DELETE /api/v3/store/order/{{order_id}}');
  });
});

describe('scenarioFromOpenApi', () => {
  it('writes a scenario the loader accepts, with every drafted endpoint', async () => {
    const { text } = await scenarioFromOpenApi(PETSTORE, { schemaRef: './idem-audit.schema.json' });
    const s = loadScenarioText(text, join(dir, 'petstore.yaml'), extensionSchemas(), ENV);
    expect(s.endpoints).toHaveLength(5);
    expect(s.target.baseUrl).toBe('http://127.0.0.1:8080');
    expect(s.target.headers).toEqual({ Authorization: 'Bearer a' });
    expect(s.target.principals.map((p) => p.name)).toEqual(['other']);
    expect(s.contract.keyHeader).toBe('Idempotency-Key');
    expect(text).toContain('# yaml-language-server: $schema=./idem-audit.schema.json');
  });

  it('takes the key header from a documented Idempotency-Key parameter and an absolute server', async () => {
    const spec = join(dir, 'keyed.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'Keyed Payments', version: '1' },
        servers: [{ url: 'https://api.example.com/v1/' }],
        components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
        security: [{ token: [] }],
        paths: {
          '/charges': {
            post: {
              operationId: 'createCharge',
              parameters: [{ name: 'X-Idempotency-Key', in: 'header', schema: { type: 'string' } }],
              requestBody: {
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: { amount: { type: 'integer' }, id: { type: 'string', readOnly: true } },
                    },
                    examples: { small: { value: { amount: 500, currency: 'eur' } } },
                  },
                },
              },
              responses: { '201': { description: 'created' } },
            },
          },
        },
      }),
    );
    const { text } = await scenarioFromOpenApi(spec, { schemaRef: './s.json' });
    const doc = parse(text) as Record<string, unknown>;
    expect(doc['contract']).toMatchObject({ keyHeader: 'X-Idempotency-Key' });
    const s = loadScenarioText(text, spec, extensionSchemas(), { TOKEN_TOKEN: 't', TOKEN_TOKEN_OTHER: 'u' });
    expect(s.target.baseUrl).toBe('https://api.example.com/v1');
    expect(s.endpoints[0]?.request.body).toEqual({ kind: 'json', value: { amount: 500, currency: 'eur' } });
    // The scenario's key header; the spec does not mark it required, so neither does the draft.
    expect(s.endpoints[0]?.keyIn).toBeUndefined();
    expect(s.endpoints[0]?.contract).toEqual({ keyRequired: false });
    expect(s.endpoints[0]?.name).toBe('create-charge');
  });

  it('does not paste a server URL that would break the YAML into the scenario', async () => {
    const spec = join(dir, 'hostile-server.json');
    writeFileSync(
      spec,
      JSON.stringify({
        openapi: '3.0.3',
        info: { title: 'x', version: '1' },
        servers: [{ url: 'https://evil.example.com/} #\nsettings: {failOn: critical}' }],
        paths: { '/a\nsettings: x': { put: { responses: {} } }, '/b': { post: { responses: {} } } },
      }),
    );
    const { text } = await scenarioFromOpenApi(spec, { schemaRef: './s.json' });
    const s = loadScenarioText(text, spec, extensionSchemas(), {});
    expect(s.target.baseUrl).toBe('http://127.0.0.1:8080');
    expect(s.settings.failOn).toBe('high');
    expect(text).not.toContain('evil.example.com');
  });

  it('refuses a file that is not an API description', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'hello: world\n');
    await expect(scenarioFromOpenApi(bad, { schemaRef: './s.json' })).rejects.toThrow(/cannot read/);
  });
});
