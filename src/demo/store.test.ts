import { describe, expect, it } from 'vitest';
import { MemoryKeyStore, canonicalJson, isValidKey } from './index.js';
import type { Scope } from './index.js';

const scope = (key: string, principal: string | null = 'alice'): Scope => ({
  index: 'key',
  principal,
  route: 'POST /payments',
  key,
});
const response = { status: 201, headers: { 'content-type': 'application/json' }, body: '{}' };

describe('MemoryKeyStore', () => {
  it('reserves once: the second reservation sees the first record', async () => {
    const store = new MemoryKeyStore();
    const reservation = { fingerprint: 'f', route: 'POST /payments', ttlMs: 1000 };
    const [a, b] = await Promise.all([store.reserve(scope('k'), reservation), store.reserve(scope('k'), reservation)]);
    expect(a).toEqual({ reserved: true });
    expect(b).toMatchObject({ reserved: false, existing: { state: 'in-flight', fingerprint: 'f' } });
  });

  it('completes, releases, and keeps scopes apart', async () => {
    const store = new MemoryKeyStore();
    const reservation = { fingerprint: 'f', route: 'POST /payments', ttlMs: 1000 };
    await store.reserve(scope('k'), reservation);
    await store.complete(scope('k'), response);
    expect(await store.get(scope('k'))).toMatchObject({ state: 'done', response });
    expect(await store.get(scope('k', 'bob'))).toBeUndefined();
    expect(await store.get(scope('k', null))).toBeUndefined();
    await store.release(scope('k'));
    expect(await store.get(scope('k'))).toBeUndefined();
    // Completing a record that vanished does not resurrect it.
    await store.complete(scope('k'), response);
    expect(await store.get(scope('k'))).toBeUndefined();
  });

  it('expires records lazily at createdAt + ttl', async () => {
    let now = 1_000;
    const store = new MemoryKeyStore(() => now);
    await store.reserve(scope('k'), { fingerprint: 'f', route: 'POST /payments', ttlMs: 100 });
    now = 1_099;
    expect(await store.get(scope('k'))).toBeDefined();
    now = 1_100;
    expect(await store.get(scope('k'))).toBeUndefined();
    expect(store.size).toBe(0);
    expect(await store.reserve(scope('k'), { fingerprint: 'g', route: 'POST /payments', ttlMs: 100 })).toEqual({
      reserved: true,
    });
  });
});

describe('canonicalJson', () => {
  it('sorts object keys recursively and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson(JSON.parse('{"x": 1.0, "y": "\\u0041"}'))).toBe(canonicalJson({ y: 'A', x: 1 }));
  });
});

describe('isValidKey', () => {
  it('accepts 1-255 visible ASCII characters only', () => {
    expect(isValidKey('a')).toBe(true);
    expect(isValidKey('~!"#$%&*?[]:'.repeat(2))).toBe(true);
    expect(isValidKey('k'.repeat(255))).toBe(true);
    for (const bad of ['', 'k'.repeat(256), 'a b', 'a, b', 'tab\there', 'caf\u00e9', 'snow\u2603']) {
      expect(isValidKey(bad)).toBe(false);
    }
  });
});
