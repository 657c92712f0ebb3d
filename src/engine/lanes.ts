/**
 * Parallel audit lanes: the plan's cells split into groups that may run side by side (one
 * endpoint's attacks, one after another, in plan order; endpoints whose observers share state,
 * such as one sink, in one group), and a bounded pool of lanes that takes the groups expected to
 * take longest first. What is timing-dependent is protected where every request passes (the
 * engine's traffic gate), not here; this module only decides what runs when.
 */
import type { Observer } from '../observers/types.js';
import type { ResolvedScenario } from '../scenario/types.js';
import type { PlannedAttack } from './prepare-run.js';
import { contractFor } from './request-builder.js';

/**
 * What a request is assumed to take when ordering groups by their expected duration; only the
 * order depends on it (requests against deliberate waits), never a result.
 */
const NOMINAL_REQUEST_MS = 25;
/** Cost of an attack that does not estimate its own. */
const DEFAULT_REQUESTS = 4;

export interface LaneCell {
  /** Its place in the plan: results are reported in plan order whatever order lanes finish in. */
  index: number;
  cell: PlannedAttack;
}

export interface LaneGroup {
  cells: readonly LaneCell[];
  expectedMs: number;
}

/** The rough duration of one cell, from its attack's own estimate. */
function expectedMs(cell: PlannedAttack, maxWaitMs: number | undefined, scenario: ResolvedScenario): number {
  const { attack, endpoint, options } = cell;
  const cost = attack.meta.expectedCost?.(options, { contract: contractFor(scenario, endpoint), maxWaitMs }) ?? {
    requests: DEFAULT_REQUESTS,
  };
  return cost.requests * NOMINAL_REQUEST_MS + (cost.waitMs ?? 0);
}

/**
 * The groups of a plan, longest expected first (ties in plan order). With one lane there is one
 * group, the whole plan in order: a serial run is exactly the run it always was.
 */
export function laneGroups(
  cells: readonly PlannedAttack[],
  o: {
    concurrency: number;
    observers: Readonly<Record<string, Observer>>;
    maxWaitMs: number | undefined;
    scenario: ResolvedScenario;
  },
): LaneGroup[] {
  const indexed = cells.map((cell, index) => ({ index, cell }));
  const cost = (c: LaneCell): number => expectedMs(c.cell, o.maxWaitMs, o.scenario);
  if (o.concurrency <= 1) return [{ cells: indexed, expectedMs: indexed.reduce((t, c) => t + cost(c), 0) }];
  // Union of endpoints that share observer state: each endpoint starts as its own group.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(x, root);
    return root;
  };
  const join = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(rb, ra);
  };
  for (const { cell } of indexed) {
    const e = `endpoint ${cell.endpoint.name}`;
    if (!parent.has(e)) parent.set(e, e);
    for (const spec of cell.endpoint.observe) {
      const shared = o.observers[spec.id]?.sharedState?.(spec.options);
      if (shared === undefined) continue;
      const s = `state ${shared}`;
      if (!parent.has(s)) parent.set(s, s);
      join(s, e);
    }
  }
  const groups = new Map<string, { cells: LaneCell[]; expectedMs: number }>();
  for (const c of indexed) {
    const root = find(`endpoint ${c.cell.endpoint.name}`);
    let g = groups.get(root);
    if (!g) {
      g = { cells: [], expectedMs: 0 };
      groups.set(root, g);
    }
    g.cells.push(c);
    g.expectedMs += cost(c);
  }
  // Stable: equal estimates keep plan order.
  return [...groups.values()].sort((a, b) => b.expectedMs - a.expectedMs);
}

/**
 * Runs `work` for each group on at most `lanes` lanes at once, in the groups' order. `more()` is
 * asked before each group starts (a stopped run starts nothing new). When `work` throws (a bug:
 * attacks' failures are results), the lanes start nothing more, the others finish what they
 * run, and the first error is rethrown once all have returned.
 */
export async function runLanes<G>(
  groups: readonly G[],
  lanes: number,
  work: (group: G, lane: number) => Promise<void>,
  more: () => boolean,
): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const lane = async (id: number): Promise<void> => {
    while (failed === undefined && next < groups.length && more()) {
      const group = groups[next++] as G;
      try {
        await work(group, id);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  const count = Math.max(1, Math.min(lanes, groups.length));
  await Promise.all(Array.from({ length: count }, (_, i) => lane(i + 1)));
  if (failed !== undefined) throw failed.error;
}

/**
 * The groups without the cells whose attack runs the scenario's hooks (a crash, a store outage:
 * `meta.hooks`), and those cells in plan order. They disrupt the whole target, not their endpoint:
 * a restart forgets what another lane's attack stored a moment ago, and an outage fails its
 * requests. So they run alone, after the lanes.
 */
export function splitDisruptive(groups: readonly LaneGroup[]): { calm: LaneGroup[]; disruptive: LaneCell[] } {
  const disruptive: LaneCell[] = [];
  const calm: LaneGroup[] = [];
  for (const g of groups) {
    const kept = g.cells.filter((c) => c.cell.attack.meta.hooks === undefined);
    disruptive.push(...g.cells.filter((c) => c.cell.attack.meta.hooks !== undefined));
    if (kept.length > 0) calm.push({ ...g, cells: kept });
  }
  return { calm, disruptive: disruptive.sort((a, b) => a.index - b.index) };
}
