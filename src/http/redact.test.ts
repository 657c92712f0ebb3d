import { describe, expect, it } from 'vitest';
import { REDACTED, createRedactor, secretHeaderValues } from './redact.js';

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
