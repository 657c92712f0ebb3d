import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from './rng.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = [a.uuid(), a.int(0, 1000), a.hex(10)];
    expect([b.uuid(), b.int(0, 1000), b.hex(10)]).toEqual(seqA);
    expect(c.uuid()).not.toEqual(seqA[0]);
  });

  it('produces well-formed v4 UUIDs', () => {
    const r = new Rng(7);
    for (let i = 0; i < 200; i++) {
      expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('derives independent, stable streams per endpoint and attack', () => {
    expect(deriveSeed(1, 'ep', 'concurrent-burst')).toBe(deriveSeed(1, 'ep', 'concurrent-burst'));
    expect(deriveSeed(1, 'ep', 'concurrent-burst')).not.toBe(deriveSeed(1, 'ep', 'missing-key'));
    expect(deriveSeed(1, 'ep', 'a')).not.toBe(deriveSeed(2, 'ep', 'a'));
  });
});
