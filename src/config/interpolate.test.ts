import { describe, expect, it } from 'vitest';
import { interpolateString, isSecretPath } from './interpolate.js';

const env = { API_TOKEN: 'tok-123', EMPTY: '', PORT: '8080' };

describe('interpolateString', () => {
  it('substitutes set variables', () => {
    expect(interpolateString('Bearer ${API_TOKEN}', env)).toMatchObject({
      value: 'Bearer tok-123',
      missing: [],
      fromEnvironment: ['tok-123'],
      whole: false,
    });
  });
  it('uses defaults when unset or empty, and allows empty defaults', () => {
    expect(interpolateString('${NOPE:-http://x:1}', env)).toMatchObject({ value: 'http://x:1', fromEnvironment: [] });
    expect(interpolateString('${EMPTY:-dflt}', env).value).toBe('dflt');
    expect(interpolateString('a${NOPE:-}b', env).value).toBe('ab');
    expect(interpolateString('${EMPTY}', env)).toMatchObject({ value: '', missing: [] });
  });
  it('reports missing variables by name', () => {
    expect(interpolateString('${A}-${B:-b}-${C}', {})).toMatchObject({ value: '-b-', missing: ['A', 'C'] });
  });
  it('treats $${ as a literal and leaves lone dollars alone', () => {
    expect(interpolateString('$${API_TOKEN} $.id $1 $$', env).value).toBe('${API_TOKEN} $.id $1 $$');
  });
  it('flags malformed references', () => {
    expect(interpolateString('x ${not closed', env).malformed).toBe('${not closed');
    expect(interpolateString('${1BAD}', env).malformed).toBe('${1BAD}');
  });
  it('knows when the whole scalar was one expression', () => {
    expect(interpolateString('${PORT}', env).whole).toBe(true);
    expect(interpolateString(':${PORT}', env).whole).toBe(false);
    expect(interpolateString('${PORT}${PORT}', env).whole).toBe(false);
  });
});

describe('isSecretPath', () => {
  it.each([
    [['target', 'headers', 'Authorization'], true],
    [['target', 'principals', 'bob', 'headers', 'Cookie'], true],
    [['endpoints', 'e', 'request', 'headers', 'X-Foo'], true],
    [['endpoints', 'e', 'observe', 2, 'sql', 'url'], true],
    [['endpoints', 'e', 'request', 'body', 'url'], true],
    [['endpoints', 'e', 'request', 'path'], true],
    [['endpoints', 'e', 'observe', 0, 'http', 'path'], true],
    [['endpoints', 'e', 'attacks', 'in-flight-duplicate', 'firstRequestHeaders', 'X-Slow'], true],
    [['target', 'baseUrl'], false],
    [['target', 'nodes', 0], false],
    [['target', 'allowHosts', 1], false],
    [['target', 'timeout'], false],
    [['settings', 'maxRequests'], false],
    [['contract', 'ttl'], false],
    [['endpoints', 'e', 'key'], false],
    [['endpoints', 'e', 'request', 'method'], false],
    [['endpoints', 'e', 'attacks', 'concurrent-burst', 'copies'], false],
  ] as const)('%j -> %s', (path, secret) => {
    expect(isSecretPath(path)).toBe(secret);
  });
});
