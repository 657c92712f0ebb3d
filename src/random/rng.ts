/**
 * Seeded randomness. Every key, body and mutation an attack generates comes from here, so the
 * same scenario and seed send the same requests in the same order (the same keys too, given the
 * same key salt). Each (endpoint, attack) pair gets its own streams derived from the run seed:
 * `--only x` then reproduces exactly what `x` sent inside the full run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { unsafeUniformIntDistribution, xoroshiro128plus, type RandomGenerator } from 'pure-rand';

export class Rng {
  readonly seed: number;
  readonly #gen: RandomGenerator;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.#gen = xoroshiro128plus(this.seed);
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return unsafeUniformIntDistribution(min, max, this.#gen);
  }

  /** A fresh 32-bit seed, e.g. for fast-check runs inside an attack. */
  nextSeed(): number {
    return this.int(0, 0xffffffff);
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.int(0, 0xffff).toString(16).padStart(4, '0');
    return out.slice(0, chars);
  }

  /** RFC 9562 version-4 UUID layout, drawn from this stream. */
  uuid(): string {
    const h = this.hex(32).split('');
    h[12] = '4';
    h[16] = '89ab'[Number.parseInt(h[16] ?? '0', 16) & 3] ?? '8';
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

export function deriveSeed(seed: number, ...parts: string[]): number {
  const hash = createHash('sha256')
    .update(`${seed >>> 0}\u0000${parts.join('\u0000')}`)
    .digest();
  return hash.readUInt32BE(0);
}

/**
 * A per-run salt for generated unique values (`{{uuid}}` in keys and templates). Targets remember
 * keys for hours: a second run with the same seed must not send yesterday's keys, or its
 * "first" requests are replays and the audit sees nothing. Bodies and mutations stay seeded.
 */
export function randomKeySalt(): string {
  return randomBytes(4).toString('hex');
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0;
}
