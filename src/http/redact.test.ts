import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_HEADERS } from '../scenario/credentials.js';
import { MIN_SECRET_LENGTH, REDACTED, createRedactor, secretHeaderValues } from './redact.js';

describe('createRedactor', () => {
  const r = createRedactor({
    secretHeaders: ['Authorization', 'Cookie', '*-Key', '*-Token'],
    keyHeader: 'Idempotency-Key',
    secretValues: ['s3cr3t-token-value', 'abc'],
  });

  it('redacts secret headers case-insensitively but keeps the idempotency key visible', () => {
    expect(
      r.headers({
        authorization: 'Bearer x',
        'X-Api-Key': 'k',
        'idempotency-key': 'K1',
        'X-Auth-Token': 't',
        Accept: 'a',
      }),
    ).toEqual({
      authorization: REDACTED,
      'X-Api-Key': REDACTED,
      'idempotency-key': 'K1',
      'X-Auth-Token': REDACTED,
      Accept: 'a',
    });
  });

  it('keeps keys visible wherever an endpoint carries them, whatever the name, and learns secrets during the run', () => {
    const keys = createRedactor({
      secretHeaders: DEFAULT_SECRET_HEADERS,
      keyHeader: 'Idempotency-Key',
      keyNames: ['X-Idempotency-Token', 'idempotency_token'],
      secretValues: [],
    });
    expect(keys.headers({ 'x-idempotency-token': 'K1', 'X-Auth-Token': 't' })).toEqual({
      'x-idempotency-token': 'K1',
      'X-Auth-Token': REDACTED,
    });
    expect(keys.body('idempotency_token=K1&access_token=t')).toBe(`idempotency_token=K1&access_token=${REDACTED}`);
    expect(keys.body('{"idempotency_token":"K1"}')).toBe('{"idempotency_token":"K1"}');
    expect(keys.text('ref sess-7f3a9c1e5b2d')).toBe('ref sess-7f3a9c1e5b2d');
    keys.addSecretValues(['sess-7f3a9c1e5b2d']);
    expect(keys.text('ref sess-7f3a9c1e5b2d, ref sess-7f3a9c1e5b2d')).toBe(`ref ${REDACTED}, ref ${REDACTED}`);
    expect(keys.headers({ 'X-Ref': 'sess-7f3a9c1e5b2d' })).toEqual({ 'X-Ref': REDACTED });
  });

  it('replaces secret values anywhere in text, but not values too short to be safe to replace', () => {
    expect(r.text('url?token=s3cr3t-token-value&x=abc')).toBe(`url?token=${REDACTED}&x=abc`);
  });

  it('answers the same for every header name, cached or not (more names than the cache holds)', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3000; i++) {
        expect(r.isSecretHeader(`X-${i}-Token`)).toBe(true);
        expect(r.isSecretHeader(`X-${i}-Plain`)).toBe(false);
      }
    }
    expect(r.isSecretHeader('IDEMPOTENCY-KEY')).toBe(false);
    expect(r.headers({ 'Idempotency-Key': 'K', AUTHORIZATION: 'x' })).toEqual({
      'Idempotency-Key': 'K',
      AUTHORIZATION: REDACTED,
    });
  });

  it('redacts secret values inside non-secret headers', () => {
    expect(r.headers({ 'X-Debug': 'got s3cr3t-token-value' })).toEqual({ 'X-Debug': `got ${REDACTED}` });
  });
});

describe('secretHeaderValues', () => {
  it('collects secret header values and the credential after an auth scheme', () => {
    const r = createRedactor({
      secretHeaders: ['Authorization', '*-Key'],
      keyHeader: 'Idempotency-Key',
      secretValues: [],
    });
    expect(
      secretHeaderValues(
        [{ Authorization: 'Bearer abcdefgh123', Accept: 'x', 'Idempotency-Key': 'k' }, { 'X-Api-Key': 'zzz' }],
        (name) => r.isSecretHeader(name),
      ),
    ).toEqual(['Bearer abcdefgh123', 'abcdefgh123', 'zzz']);
  });
});

describe('createRedactor with the default rules', () => {
  const SECRET = 'p@ss "w0rd" \\ / + ünï';
  const r = createRedactor({
    secretHeaders: DEFAULT_SECRET_HEADERS,
    keyHeader: 'Idempotency-Key',
    secretValues: [SECRET, '5000', 'abc'],
  });

  it('redacts the usual credential header names, but not the idempotency key nor ordinary headers', () => {
    const secret = [
      'apikey',
      'Api-Key',
      'X-Api-Key',
      'X-Auth',
      'X-Auth-User',
      'X-Api-Secret-Foo',
      'X-CSRF-Token',
      'X-Session-Id',
      'X-User-Password',
      'X-Hub-Signature-256',
      'Proxy-Authorization',
    ];
    for (const name of secret) expect(r.isSecretHeader(name), name).toBe(true);
    for (const name of ['Idempotency-Key', 'Content-Type', 'Location', 'WWW-Authenticate', 'X-Request-Id'])
      expect(r.isSecretHeader(name), name).toBe(false);
  });

  it('replaces a secret value in every spelling a target may echo it in', () => {
    const spellings = {
      raw: SECRET,
      json: JSON.stringify(SECRET).slice(1, -1),
      jsonInJson: JSON.stringify(JSON.stringify(SECRET).slice(1, -1)).slice(1, -1),
      jsonSlashes: JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/'),
      jsonAscii: JSON.stringify(SECRET)
        .slice(1, -1)
        .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      uri: encodeURIComponent(SECRET),
      uriLower: encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      uriPlus: encodeURIComponent(SECRET).replace(/%20/g, '+'),
      form: new URLSearchParams({ v: SECRET }).toString().slice(2),
      path: encodeURI(SECRET),
    };
    for (const [name, spelling] of Object.entries(spellings))
      expect(r.text(`<${spelling}>`), name).toBe(`<${REDACTED}>`);
  });

  it('redacts credential-named query parameters, form fields and JSON fields, also nested in a JSON string', () => {
    expect(r.text('/pay?access_token=t0k&key=K1&api_key=x&page=2')).toBe(
      `/pay?access_token=${REDACTED}&key=K1&api_key=${REDACTED}&page=2`,
    );
    expect(r.text('client_secret=s1&grant_type=x&refresh_token=r1')).toBe(
      `client_secret=${REDACTED}&grant_type=x&refresh_token=${REDACTED}`,
    );
    const inner = JSON.stringify({ password: 'p"w\\d', user: 'u', sessionId: 'sid-1' });
    const doc = JSON.stringify({ access_token: 'tok', id: 'pay_1', body: inner, idempotencyKey: 'K1' });
    const out = JSON.parse(r.text(doc)) as Record<string, string>;
    expect({ ...out, body: typeof out['body'] }).toEqual({
      access_token: REDACTED,
      id: 'pay_1',
      body: 'string',
      idempotencyKey: 'K1',
    });
    expect(JSON.parse(out['body'] ?? '')).toEqual({ password: REDACTED, user: 'u', sessionId: REDACTED });
    expect(r.text('{"password": 123456, "amount": 1}')).toBe(`{"password": "${REDACTED}", "amount": 1}`);
  });

  it('redacts a secret the end of a truncated body cut in two, and a credential field left unterminated', () => {
    expect(r.text(`{"note":"${SECRET.slice(0, 6)}`, true)).toBe(`{"note":"${REDACTED}`);
    expect(r.text('{"token":"abcdefgh', true)).toBe(`{"token":"${REDACTED}`);
    expect(r.text(`{"note":"${SECRET.slice(0, 6)}`)).toBe(`{"note":"${SECRET.slice(0, 6)}`);
  });

  it('keeps a JSON body parseable where a secret is a bare number', () => {
    expect(JSON.parse(r.body('{"amount": 5000, "id": "pay_1", "n": [5000]}'))).toEqual({
      amount: REDACTED,
      id: 'pay_1',
      n: [REDACTED],
    });
    expect(r.body('{"amount":"5000"}')).toBe(`{"amount":"${REDACTED}"}`);
  });

  it('leaves values below the floor to the name rules', () => {
    expect(MIN_SECRET_LENGTH).toBe(4);
    expect(r.text('abc=abc')).toBe('abc=abc');
  });
});
