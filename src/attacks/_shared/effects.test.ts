import { describe, expect, it } from 'vitest';
import type { EffectCount } from '../../observers/types.js';
import type { SideEffects } from '../types.js';
import { countWrites, writesFor } from './effects.js';

function effects(...counts: EffectCount[]): SideEffects {
  const observed = Math.max(...counts.map((c) => c.count));
  const least = Math.min(...counts.map((c) => c.count));
  return {
    observed,
    least,
    verdict: (expected, basis = 'most') => ({ expected, observed: basis === 'most' ? observed : least, counts }),
  };
}

const count = (observer: string, n: number, facts?: EffectCount['facts']): EffectCount => ({
  observer,
  count: n,
  detail: '',
  evidence: [],
  ...(facts ? { facts } : {}),
});

describe('writesFor', () => {
  it('lets the records overrule distinct ids in the answers (a replayed foreign response)', () => {
    const w = writesFor('k1', effects(count('responseId', 2), count('http', 1)));
    expect(w.count).toBe(1);
    expect(w.disputed).toContain('responseId 2');
    expect(w.disputed).toContain('http 1');
    expect(w.verdict(1)).toMatchObject({ expected: 1, observed: 1 });
    expect(w.verdict(1).counts).toHaveLength(2);
  });

  it('judges by the answers when nothing reads the records', () => {
    const w = writesFor('k1', effects(count('responseId', 3)));
    expect(w.count).toBe(3);
    expect(w.disputed).toBeUndefined();
  });

  it('keeps one recorded witness of a second write enough (the sink saw two applications, the ledger one)', () => {
    const w = writesFor('k1', effects(count('responseId', 1), count('http', 1), count('sink', 2)));
    expect(w.count).toBe(2);
    expect(w.disputed).toBeUndefined();
  });

  it('keeps a recorded second write the answers do not show (a loser executed, then answered 5xx)', () => {
    expect(writesFor('k1', effects(count('responseId', 1), count('http', 2))).count).toBe(2);
  });

  it("takes the redis observer's count whole (its orphan answers witness a duplicate that overwrote the record)", () => {
    const w = writesFor(
      'k1',
      effects(count('responseId', 2), count('redis', 2, { store: 'redis', records: [], orphans: 1 })),
    );
    expect(w.count).toBe(2);
    expect(w.disputed).toBeUndefined();
  });

  it('notes a disagreement through the context', async () => {
    const notes: string[] = [];
    const ctx = {
      sideEffects: () => Promise.resolve(effects(count('responseId', 2), count('http', 0))),
      note: (t: string) => notes.push(t),
    };
    expect((await countWrites(ctx, 'k9')).count).toBe(0);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^key k9: /);
  });
});
