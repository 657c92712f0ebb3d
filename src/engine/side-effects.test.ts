import { describe, expect, it } from 'vitest';
import { countWrites } from '../attacks/_shared/effects.js';
import type { SideEffects } from '../attacks/types.js';
import type { EffectCount } from '../observers/types.js';
import { judgeWrites } from './side-effects.js';

/** A count as the observers give it; `answers` marks one inferred from the answers (responseId). */
const count = (observer: string, n: number, answers = false): EffectCount => ({
  observer,
  count: n,
  detail: '',
  evidence: [],
  ...(answers ? { fromAnswers: true as const } : {}),
});

describe('judgeWrites', () => {
  it('lets the records overrule distinct ids in the answers (a replayed foreign response)', () => {
    const w = judgeWrites('k1', [count('responseId', 2, true), count('http', 1)]);
    expect(w.writes).toBe(1);
    expect(w.disputed).toContain('responseId 2');
    expect(w.disputed).toContain('http 1');
  });

  it('judges by the answers when nothing reads the records', () => {
    const w = judgeWrites('k1', [count('responseId', 3, true)]);
    expect(w.writes).toBe(3);
    expect(w.disputed).toBeUndefined();
  });

  it('keeps one recorded witness of a second write enough (the sink saw two applications, the ledger one)', () => {
    const w = judgeWrites('k1', [count('responseId', 1, true), count('http', 1), count('sink', 2)]);
    expect(w.writes).toBe(2);
    expect(w.disputed).toBeUndefined();
  });

  it('keeps a recorded second write the answers do not show (a loser executed, then answered 5xx)', () => {
    expect(judgeWrites('k1', [count('responseId', 1, true), count('http', 2)]).writes).toBe(2);
  });

  it("takes the redis observer's count whole (its orphan answers witness a duplicate that overwrote the record)", () => {
    const w = judgeWrites('k1', [count('responseId', 2, true), count('redis', 2)]);
    expect(w.writes).toBe(2);
    expect(w.disputed).toBeUndefined();
  });
});

describe('countWrites', () => {
  it('notes a disagreement through the context', async () => {
    const notes: string[] = [];
    const counts = [count('responseId', 2, true), count('http', 0)];
    const { writes, disputed } = judgeWrites('k9', counts);
    const effects: SideEffects = {
      observed: 2,
      writes,
      disputed,
      verdict: (expected) => ({ expected, observed: writes, counts }),
    };
    const ctx = { sideEffects: () => Promise.resolve(effects), note: (t: string) => notes.push(t) };
    expect((await countWrites(ctx, 'k9')).writes).toBe(0);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^key k9: /);
  });
});
