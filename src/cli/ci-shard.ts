/**
 * `--shard auto`: the slice of a parallel CI job, from the variables its CI system sets. Each
 * system numbers its jobs its own way (GitLab from 1, the others from 0); this turns them into
 * idem-audit's 1-based `i/n`, so run preparation only ever sees a concrete slice.
 */
import { UsageError } from '../errors/errors.js';

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** The largest split `--shard` accepts. */
export const MAX_SHARDS = 1000;

/** The variable Kubernetes Indexed Jobs leave to the user: how many completions the Job has. */
export const SHARD_COUNT_VARIABLE = 'IDEM_AUDIT_SHARD_COUNT';

interface CiSystem {
  name: string;
  index: string;
  /** Undefined: the count is not in the environment (Kubernetes). */
  total: string | undefined;
  /** The first job's index. */
  base: 0 | 1;
}

const SYSTEMS: readonly CiSystem[] = [
  { name: 'GitLab CI', index: 'CI_NODE_INDEX', total: 'CI_NODE_TOTAL', base: 1 },
  { name: 'CircleCI', index: 'CIRCLE_NODE_INDEX', total: 'CIRCLE_NODE_TOTAL', base: 0 },
  { name: 'Buildkite', index: 'BUILDKITE_PARALLEL_JOB', total: 'BUILDKITE_PARALLEL_JOB_COUNT', base: 0 },
  { name: 'a Kubernetes Indexed Job', index: 'JOB_COMPLETION_INDEX', total: undefined, base: 0 },
];

export interface DetectedShard extends Shard {
  /** Where it came from, for the run's first line: `CI_NODE_INDEX=2, CI_NODE_TOTAL=3 (GitLab CI)`. */
  source: string;
}

function integer(name: string, value: string): number {
  if (!/^\d{1,7}$/.test(value.trim()))
    throw new UsageError(`--shard auto: ${name} must be a whole number, got '${value}'`);
  return Number(value.trim());
}

function set(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * The slice the CI system assigned this job. `countOption` is --shard-count, the count where the
 * system does not say it (Kubernetes); where the system does, it must agree.
 */
export function shardFromCi(env: Readonly<Record<string, string | undefined>>, countOption?: number): DetectedShard {
  for (const sys of SYSTEMS) {
    const rawIndex = set(env, sys.index);
    const rawTotal = sys.total === undefined ? undefined : set(env, sys.total);
    if (rawIndex === undefined && rawTotal === undefined) continue;
    const fromEnvCount = set(env, SHARD_COUNT_VARIABLE);
    let count: number;
    let countSource: string;
    if (rawTotal !== undefined && sys.total !== undefined) {
      count = integer(sys.total, rawTotal);
      countSource = `${sys.total}=${rawTotal}`;
      if (countOption !== undefined && countOption !== count)
        throw new UsageError(
          `--shard auto: --shard-count ${countOption} disagrees with ${sys.total}=${rawTotal} set by ${sys.name}`,
          'drop --shard-count: the CI system says how many parallel jobs there are',
        );
    } else if (countOption !== undefined) {
      count = countOption;
      countSource = `--shard-count ${countOption}`;
    } else if (fromEnvCount !== undefined) {
      count = integer(SHARD_COUNT_VARIABLE, fromEnvCount);
      countSource = `${SHARD_COUNT_VARIABLE}=${fromEnvCount}`;
    } else {
      throw new UsageError(
        `--shard auto: ${sys.index}=${rawIndex ?? ''} is set (${sys.name}) but not how many shards there are`,
        `pass --shard-count N or set ${SHARD_COUNT_VARIABLE}=N (the Job's completions)`,
      );
    }
    // GitLab sets CI_NODE_TOTAL=1 and no index for a job without `parallel`: the whole matrix.
    const index = rawIndex === undefined ? sys.base : integer(sys.index, rawIndex);
    const oneBased = index - sys.base + 1;
    const source = `${rawIndex === undefined ? `${sys.index} unset` : `${sys.index}=${rawIndex}`}, ${countSource} (${sys.name})`;
    if (count < 1 || count > MAX_SHARDS)
      throw new UsageError(`--shard auto: ${countSource} must be between 1 and ${MAX_SHARDS}`);
    if (oneBased < 1 || oneBased > count)
      throw new UsageError(
        `--shard auto: ${source} is not a job of ${count} (${sys.name} counts jobs from ${sys.base})`,
      );
    return { index: oneBased, count, source };
  }
  const looked = SYSTEMS.map((s) => (s.total ? `${s.index}/${s.total} (${s.name})` : `${s.index} (${s.name})`));
  throw new UsageError(
    `--shard auto: no CI parallel-job variables are set; looked for ${looked.join(', ')}`,
    'outside those CI systems, give the slice yourself: --shard i/n (e.g. --shard ${{ matrix.shard }}/3 in GitHub Actions)',
  );
}
