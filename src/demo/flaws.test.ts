import { describe, expect, it } from 'vitest';
import { CORRECT_POLICY, DemoConfigError, FLAWS, FLAW_DESCRIPTIONS, VARIANTS, parseFlaws, policyFor } from './index.js';
import type { LayerPolicy } from './index.js';

describe('FLAWS', () => {
  it('is sorted, complete and described in one line each', () => {
    expect([...FLAWS]).toEqual([...FLAWS].sort());
    expect(FLAWS).toHaveLength(26);
    for (const flaw of FLAWS) {
      expect(FLAW_DESCRIPTIONS[flaw]).toMatch(/^[^\n]{10,}$/);
    }
    expect(VARIANTS).toEqual(['correct', ...FLAWS]);
  });
});

describe('parseFlaws', () => {
  it('parses all, none and comma lists', () => {
    expect(parseFlaws('all')).toEqual(new Set(FLAWS));
    expect(parseFlaws('none')).toEqual(new Set());
    expect(parseFlaws(' race, case-fold ,')).toEqual(new Set(['race', 'case-fold']));
  });

  it('names unknown flaws and lists the valid ones', () => {
    let caught: unknown;
    try {
      parseFlaws('race,racy,nope');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DemoConfigError);
    expect(caught).toBeInstanceOf(Error);
    const message = (caught as Error).message;
    expect(message).toContain("'racy'");
    expect(message).toContain("'nope'");
    for (const flaw of FLAWS) expect(message).toContain(flaw);
  });
});

describe('policyFor', () => {
  const opts = { raceWindow: 15 } as const;

  it('gives the correct policy to `correct` and to flaws that are not switched on', () => {
    expect(policyFor('correct', new Set(FLAWS), opts)).toBe(CORRECT_POLICY);
    expect(policyFor('race', new Set(['case-fold']), opts)).toBe(CORRECT_POLICY);
  });

  it.each(FLAWS)('%s changes exactly one decision of the correct policy', (flaw) => {
    const policy = policyFor(flaw, new Set([flaw]), opts);
    // Unchanged fields are shared by reference, changed ones (including strategy functions) are not.
    const changed = (Object.keys(CORRECT_POLICY) as (keyof LayerPolicy)[]).filter(
      (k) => policy[k] !== CORRECT_POLICY[k],
    );
    expect(changed).toHaveLength(1);
  });
});
