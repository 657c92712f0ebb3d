import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/errors.js';
import { resolveShard } from './audit-options.js';
import { shardFromCi } from './ci-shard.js';

const slice = (env: Record<string, string>, count?: number): string => {
  const s = shardFromCi(env, count);
  return `${s.index}/${s.count}`;
};

describe('--shard auto', () => {
  it("reads each CI system's numbering into idem-audit's 1-based i/n", () => {
    // GitLab counts from 1, the others from 0.
    expect(slice({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' })).toBe('1/3');
    expect(slice({ CI_NODE_INDEX: '3', CI_NODE_TOTAL: '3' })).toBe('3/3');
    expect(slice({ CIRCLE_NODE_INDEX: '0', CIRCLE_NODE_TOTAL: '4' })).toBe('1/4');
    expect(slice({ CIRCLE_NODE_INDEX: '3', CIRCLE_NODE_TOTAL: '4' })).toBe('4/4');
    expect(slice({ BUILDKITE_PARALLEL_JOB: '1', BUILDKITE_PARALLEL_JOB_COUNT: '2' })).toBe('2/2');
    expect(slice({ JOB_COMPLETION_INDEX: '2' }, 5)).toBe('3/5');
    expect(slice({ JOB_COMPLETION_INDEX: '0', IDEM_AUDIT_SHARD_COUNT: '2' })).toBe('1/2');
  });

  it('a GitLab job without parallel is the whole matrix', () => {
    expect(slice({ CI_NODE_TOTAL: '1' })).toBe('1/1');
  });

  it('says where the slice came from', () => {
    expect(shardFromCi({ CI_NODE_INDEX: '2', CI_NODE_TOTAL: '3' }).source).toBe(
      'CI_NODE_INDEX=2, CI_NODE_TOTAL=3 (GitLab CI)',
    );
  });

  it('without variables: a usage error listing every variable it looked for', () => {
    const attempt = () => shardFromCi({ CI: 'true' });
    expect(attempt).toThrow(UsageError);
    for (const v of ['CI_NODE_INDEX', 'CIRCLE_NODE_INDEX', 'BUILDKITE_PARALLEL_JOB', 'JOB_COMPLETION_INDEX'])
      expect(attempt).toThrow(v);
  });

  it('refuses what cannot be a slice', () => {
    expect(() => shardFromCi({ JOB_COMPLETION_INDEX: '1' })).toThrow(
      /JOB_COMPLETION_INDEX=1 is set .* but not how many/,
    );
    try {
      shardFromCi({ JOB_COMPLETION_INDEX: '1' });
    } catch (err) {
      expect((err as UsageError).hint).toContain('--shard-count N or set IDEM_AUDIT_SHARD_COUNT=N');
    }
    expect(() => shardFromCi({ CI_NODE_INDEX: '0', CI_NODE_TOTAL: '3' })).toThrow(/counts jobs from 1/);
    expect(() => shardFromCi({ CIRCLE_NODE_INDEX: '4', CIRCLE_NODE_TOTAL: '4' })).toThrow(/not a job of 4/);
    expect(() => shardFromCi({ CIRCLE_NODE_INDEX: 'x', CIRCLE_NODE_TOTAL: '4' })).toThrow(/whole number/);
    expect(() => shardFromCi({ CI_NODE_INDEX: '1', CI_NODE_TOTAL: '3' }, 4)).toThrow(/disagrees with CI_NODE_TOTAL=3/);
    expect(() => shardFromCi({ JOB_COMPLETION_INDEX: '0' }, 0)).toThrow(/between 1 and 1000/);
  });

  it('hands run preparation a concrete slice; --shard-count needs --shard auto', () => {
    expect(resolveShard({ shard: 'auto' }, { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' })).toMatchObject({
      index: 2,
      count: 2,
    });
    expect(resolveShard({ shard: { index: 1, count: 2 } }, {})).toEqual({ index: 1, count: 2 });
    expect(resolveShard({}, { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '2' })).toBeUndefined();
    expect(() => resolveShard({ shardCount: 3 }, {})).toThrow('--shard-count goes with --shard auto');
  });
});
