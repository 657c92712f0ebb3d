/**
 * cross-node-burst (IK-30): the concurrent burst spread round-robin over the target's instances
 * (`target.nodes`). Instances that each keep their own key store (an in-process cache, a
 * per-replica Redis) deduplicate only the duplicates that land on the same node; the rest execute
 * again. Several rounds on fresh keys, as for any race.
 */
import { z } from 'zod';
import { isSuccess, type Exchange } from '../http/exchange.js';
import { outcomeHistogram, plural } from './_shared/describe.js';
import { countWrites } from './_shared/effects.js';
import { defineAttack } from './types.js';

const options = z.strictObject({
  /** Requests per node in each burst. */
  perNode: z.number().int().min(1).max(50).default(3),
  rounds: z.number().int().min(1).max(50).default(3),
});

export const crossNodeBurst = defineAttack({
  meta: {
    id: 'cross-node-burst',
    title: 'Concurrent duplicates spread over several instances',
    description:
      'Releases identical requests with one key together, spread round-robin over target.nodes. Exactly one side effect, whichever instance each copy reaches.',
    sends: 'the concurrent burst spread round-robin over `target.nodes` (skipped with fewer than 2)',
    finds: '`duplicate-write` (critical)',
    options,
    timingDependent: true,
    expectedCost: (o) => ({ requests: o.rounds * 3 }),
    findings: {
      'duplicate-write': {
        severity: 'critical',
        title: 'Duplicates on different instances executed more than once',
        remediation:
          'Keep idempotency keys in a store every instance shares (the database, with a unique constraint, or one Redis) rather than in process memory or a per-instance cache.',
        references: ['IK-30', 'IK-24'],
      },
    },
  },
  async run(ctx) {
    const nodes = [...new Set(ctx.scenario.target.nodes)];
    if (nodes.length < 2) {
      ctx.skip(
        `the scenario declares ${plural(nodes.length, 'distinct node')} in target.nodes; a cross-node burst needs at least 2`,
      );
      return;
    }
    const { perNode, rounds } = ctx.options;
    const copies = perNode * nodes.length;
    let judged = 0;
    for (let round = 0; round < rounds; round++) {
      if (ctx.signal.aborted) return;
      const key = ctx.newKey();
      const specs = Array.from({ length: copies }, (_, i) => {
        const node = nodes[i % nodes.length] ?? ctx.scenario.target.baseUrl;
        return ctx.request({ label: `round${round + 1}[${i}]@node${(i % nodes.length) + 1}`, key, baseUrl: node });
      });
      const { exchanges } = await ctx.burst(specs);
      const effects = await countWrites(ctx, key);
      if (!exchanges.some(isSuccess) && effects.writes === 0) continue;
      judged++;
      if (effects.writes > 1) {
        ctx.report({
          kind: 'duplicate-write',
          message: `${copies} identical requests with key ${key}, spread over ${nodes.length} nodes and released together, produced ${effects.writes} side effects (${perNodeAnswers(exchanges, nodes)}).`,
          expected: '1 side effect per key across all nodes',
          observed: `${effects.writes} side effects`,
          exchanges,
          sideEffects: effects.verdict(1),
        });
        return;
      }
    }
    if (judged === 0) ctx.inconclusive('the target accepted none of the requests, so exactly-once could not be judged');
  },
});

function perNodeAnswers(exchanges: readonly Exchange[], nodes: readonly string[]): string {
  return nodes
    .map((_, n) => `node${n + 1}: ${outcomeHistogram(exchanges.filter((_, i) => i % nodes.length === n))}`)
    .join('; ');
}
