import { describe, expect, it } from 'vitest';
import { attacks } from '../attacks/index.js';
import { loadScenarioText } from '../config/index.js';
import { observers } from '../observers/index.js';
import { extensionSchemas } from './extension-schemas.js';
import { laneGroups, runLanes, splitDisruptive } from './lanes.js';
import { planCells } from './prepare-run.js';

function scenario(endpoints: string) {
  return loadScenarioText(
    `version: 1
name: lanes
target: { baseUrl: "http://127.0.0.1:9" }
endpoints:
${endpoints}`,
    '/tmp/lanes.yaml',
    extensionSchemas(),
    {},
  );
}

const endpoint = (name: string, attacks: string, observe = '[ { responseId: $.id } ]'): string =>
  `  ${name}:
    request: { method: POST, path: /${name} }
    observe: ${observe}
    suite: none
    attacks: ${attacks}
`;

const sink = (port: number): string => `[ { responseId: $.id }, { sink: { listen: '127.0.0.1:${port}' } } ]`;

function groupsOf(text: string, concurrency: number): string[][] {
  const s = scenario(text);
  return laneGroups(planCells(s, attacks, {}), { concurrency, observers, maxWaitMs: undefined, scenario: s }).map((g) =>
    g.cells.map((c) => `${c.index}:${c.cell.endpoint.name}/${c.cell.attack.meta.id}`),
  );
}

describe('laneGroups', () => {
  const three =
    endpoint('a', '{ missing-key: {}, distinct-keys: {} }') +
    endpoint('b', '{ payload-mismatch: { runs: 200 } }') +
    endpoint('c', '{ missing-key: {} }');

  it('keeps each endpoint’s attacks together in plan order and starts the longest expected first', () => {
    expect(groupsOf(three, 4)).toEqual([
      ['2:b/payload-mismatch'],
      ['0:a/missing-key', '1:a/distinct-keys'],
      ['3:c/missing-key'],
    ]);
  });

  it('with one lane runs the whole plan in order, as a serial run always did', () => {
    expect(groupsOf(three, 1)).toEqual([
      ['0:a/missing-key', '1:a/distinct-keys', '2:b/payload-mismatch', '3:c/missing-key'],
    ]);
  });

  it('puts endpoints whose observers share state (one sink address) in one lane, in plan order', () => {
    const text =
      endpoint('a', '{ missing-key: {} }', sink(4020)) +
      endpoint('b', '{ missing-key: {} }') +
      endpoint('c', '{ missing-key: {} }', sink(4020)) +
      endpoint('d', '{ missing-key: {} }', sink(4021)) +
      // Port 0: a sink of its own, shared with nobody.
      endpoint('e', '{ missing-key: {} }', sink(0)) +
      endpoint('f', '{ missing-key: {} }', sink(0));
    expect(groupsOf(text, 4)).toEqual([
      ['0:a/missing-key', '2:c/missing-key'],
      ['1:b/missing-key'],
      ['3:d/missing-key'],
      ['4:e/missing-key'],
      ['5:f/missing-key'],
    ]);
  });

  it('counts deliberate waits: a TTL probe outweighs many requests', () => {
    const text =
      endpoint('busy', '{ payload-mismatch: { runs: 100 } }') +
      `  slow:
    request: { method: POST, path: /slow }
    observe: [ { responseId: $.id } ]
    contract: { ttl: 30s }
    suite: none
    attacks: { ttl-probe: {} }
`;
    expect(groupsOf(text, 2).map((g) => g[0])).toEqual(['1:slow/ttl-probe', '0:busy/payload-mismatch']);
  });
});

describe('splitDisruptive', () => {
  it('takes the cells whose attack runs hooks out of their lanes, in plan order, and drops lanes left empty', () => {
    const s = scenario(
      endpoint('a', '{ missing-key: {}, store-outage: {} }') +
        endpoint('b', '{ process-crash: {} }') +
        endpoint('c', '{ missing-key: {} }'),
    );
    const groups = laneGroups(planCells(s, attacks, {}), {
      concurrency: 3,
      observers,
      maxWaitMs: undefined,
      scenario: s,
    });
    const { calm, disruptive } = splitDisruptive(groups);
    const names = (
      cells: readonly { index: number; cell: { endpoint: { name: string }; attack: { meta: { id: string } } } }[],
    ) => cells.map((c) => `${c.index}:${c.cell.endpoint.name}/${c.cell.attack.meta.id}`);
    expect(calm.map((g) => names(g.cells)).sort()).toEqual([['0:a/missing-key'], ['3:c/missing-key']]);
    expect(names(disruptive)).toEqual(['1:a/store-outage', '2:b/process-crash']);
  });
});

describe('runLanes', () => {
  const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('never runs more groups at once than it has lanes, and runs every group', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await runLanes(
      Array.from({ length: 10 }, (_, i) => i),
      3,
      async (g) => {
        running++;
        peak = Math.max(peak, running);
        await tick(5 + (g % 3) * 5);
        running--;
        done.push(g);
      },
      () => true,
    );
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('starts nothing new once told to stop; what runs finishes', async () => {
    let stop = false;
    const started: number[] = [];
    const finished: number[] = [];
    await runLanes(
      [0, 1, 2, 3, 4, 5],
      2,
      async (g) => {
        started.push(g);
        if (g === 1) stop = true;
        await tick(5);
        finished.push(g);
      },
      () => !stop,
    );
    expect(started.sort()).toEqual([0, 1]);
    expect(finished.sort()).toEqual([0, 1]);
  });

  it('rethrows a lane’s failure once the other lanes have returned', async () => {
    const finished: number[] = [];
    const run = runLanes(
      [0, 1, 2, 3],
      2,
      async (g) => {
        if (g === 0) throw new Error('bug');
        await tick(20);
        finished.push(g);
      },
      () => true,
    );
    await expect(run).rejects.toThrow('bug');
    // The lane already running group 1 finished it; nothing started after the failure.
    expect(finished).toEqual([1]);
  });
});
