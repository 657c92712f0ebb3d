import { describe, expect, it } from 'vitest';
import { CappedKeyStore } from './capped-store.js';
import { MemoryKeyStore, type Scope } from './store.js';

const scope = (key: string): Scope => ({ index: 'key', principal: 'alice', route: 'POST /payments', key });
const reservation = { fingerprint: 'f', route: 'POST /payments', ttlMs: 60_000 };

describe('CappedKeyStore', () => {
  it('evicts the least recently used key once over capacity, touching keys on every read and write', async () => {
    const inner = new MemoryKeyStore();
    const store = new CappedKeyStore(inner, 2);
    await store.reserve(scope('a'), reservation);
    await store.reserve(scope('b'), reservation);
    // Reading a makes b the least recently used.
    expect((await store.get(scope('a')))?.state).toBe('in-flight');
    await store.reserve(scope('c'), reservation);
    expect(await inner.get(scope('b'))).toBeUndefined();
    expect(await store.get(scope('a'))).toBeDefined();
    expect(await store.get(scope('c'))).toBeDefined();
    expect([store.size, inner.size]).toEqual([2, 2]);
    // An evicted key is simply gone: reserving it again succeeds.
    expect(await store.reserve(scope('b'), reservation)).toEqual({ reserved: true });
  });

  it('passes completion and release through, and refuses a capacity below 1', async () => {
    const inner = new MemoryKeyStore();
    const store = new CappedKeyStore(inner, 5);
    await store.reserve(scope('a'), reservation);
    await store.complete(scope('a'), { status: 201, headers: {}, body: '{}' });
    expect((await inner.get(scope('a')))?.state).toBe('done');
    await store.release(scope('a'));
    expect([store.size, inner.size]).toEqual([0, 0]);
    expect(store.atomically).toBeUndefined();
    expect(() => new CappedKeyStore(inner, 0)).toThrow(RangeError);
  });
});
