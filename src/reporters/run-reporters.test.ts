import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../result/events.js';
import { IdemAuditError } from '../errors/errors.js';
import { hostileResult, hostileRunEvents } from './__fixtures__/hostile-result.js';
import { memoryContext, memoryOutput } from './__fixtures__/memory-output.js';
import { runReporters } from './run-reporters.js';
import type { Reporter, ReporterDefinition } from './types.js';

function definition(id: string, create: ReporterDefinition['create'], destination = `${id}.txt`): ReporterDefinition {
  return { meta: { id, description: id, destination, selectable: true, byDefault: true }, create };
}

/** A reporter that writes one line per hook call into `log`, tagged with its id. */
function recorder(id: string, log: string[]): ReporterDefinition {
  const note = (what: string): void => void log.push(`${id}:${what}`);
  return definition(id, () => ({
    onRunStart: () => note('run-start'),
    onAttackStart: (e) => note(`attack-start ${e.attack}`),
    onExchange: (x) => note(`exchange ${x.id}`),
    onFinding: (f) => note(`finding ${f.kind}`),
    onAttackEnd: (r) => note(`attack-end ${r.attack}`),
    onRunEnd: (_r, code) => note(`run-end ${code}`),
    onRunFailed: () => note('run-failed'),
  }));
}

const play = (events: readonly RunEvent[], emit: (e: RunEvent) => void): void => events.forEach(emit);

describe('runReporters', () => {
  it('hands every event to every reporter at once, in the order it happened and in the given reporter order', async () => {
    const log: string[] = [];
    const run = runReporters([recorder('a', log), recorder('b', log)], memoryContext(memoryOutput()));
    play(hostileRunEvents(), (e) => run.emit(e));
    await run.end(hostileResult(), 1);
    const expected = [
      'run-start',
      'attack-start concurrent-burst',
      'exchange 1',
      'exchange 2',
      'finding duplicate-write',
      'finding race-error',
      'attack-end concurrent-burst',
      'attack-start missing-key',
      'finding missing-key-status',
      'attack-end missing-key',
      'attack-start ttl-probe',
      'attack-end ttl-probe',
      'run-end 1',
    ];
    expect(log).toEqual(expected.flatMap((what) => [`a:${what}`, `b:${what}`]));
  });

  it('cuts off a reporter that throws, lets the others write, then fails naming the reporter and its file', async () => {
    const log: string[] = [];
    const broken = definition(
      'broken',
      (): Reporter => ({
        onExchange: (x) => {
          log.push(`broken:exchange ${x.id}`);
          throw new TypeError('cannot read properties of undefined');
        },
        onRunEnd: () => void log.push('broken:run-end'),
        onRunFailed: () => void log.push('broken:released'),
      }),
      'broken.har',
    );
    const out = memoryOutput();
    const json = definition('json', (ctx) => ({ onRunEnd: () => ctx.out.writeFile('report.json', '{}') }));
    const run = runReporters([broken, recorder('after', log), json], memoryContext(out));
    play(hostileRunEvents(), (e) => run.emit(e));
    const ended = run.end(hostileResult(), 1);
    await expect(ended).rejects.toThrow(IdemAuditError);
    const err = (await ended.catch((e: unknown) => e)) as IdemAuditError;
    expect(err.code).toBe('IDEM_REPORT_WRITE_FAILED');
    expect(err.message).toBe('cannot write broken.har (broken reporter): cannot read properties of undefined');
    // One exchange reached it; after its failure nothing more did, but it could release what it held.
    expect(log.filter((l) => l.startsWith('broken:'))).toEqual(['broken:exchange 1', 'broken:released']);
    expect(log).toContain('after:exchange 2');
    expect(log).toContain('after:run-end 1');
    expect(out.files.get('report.json')).toBe('{}');
  });

  it('names every reporter whose output failed at run end, after all the others wrote', async () => {
    const out = memoryOutput({ failing: 'report.html' });
    const write = (id: string, file: string): ReporterDefinition =>
      definition(id, (ctx) => ({ onRunEnd: () => ctx.out.writeFile(file, id) }), file);
    const throwing = definition('junit', () => ({
      onRunEnd: () => {
        throw new Error('boom');
      },
    }));
    const run = runReporters(
      [write('html', 'report.html'), throwing, write('json', 'report.json')],
      memoryContext(out),
    );
    await expect(run.end(hostileResult(), 1)).rejects.toThrow(
      /^cannot write report\.html \(html reporter\): ENOSPC.*; cannot write junit\.txt \(junit reporter\): boom$/,
    );
    expect(out.files.get('report.json')).toBe('json');
  });

  it('counts a reporter that cannot be created as failed without stopping the others', async () => {
    const log: string[] = [];
    const unborn = definition('unborn', () => {
      throw new Error('no terminal');
    });
    const run = runReporters([unborn, recorder('ok', log)], memoryContext(memoryOutput()));
    expect(run.wantsExchanges).toBe(true);
    await expect(run.end(hostileResult(), 0)).rejects.toThrow('cannot write unborn.txt (unborn reporter): no terminal');
    expect(log).toEqual(['ok:run-end 0']);
  });

  it('waits for promises reporters returned during the run before run end, and for run end itself', async () => {
    const log: string[] = [];
    const later = (what: string, ms: number): Promise<void> =>
      new Promise((resolve) =>
        setTimeout(() => {
          log.push(what);
          resolve();
        }, ms),
      );
    const slow = definition('slow', () => ({
      onFinding: () => later('finding settled', 20),
      onRunEnd: () => later('run-end written', 10),
    }));
    const failingLater = definition('late', () => ({
      onExchange: () => Promise.reject(new Error('late failure')),
    }));
    const run = runReporters([slow, failingLater], memoryContext(memoryOutput()));
    play(hostileRunEvents(), (e) => run.emit(e));
    expect(log).toEqual([]);
    await expect(run.end(hostileResult(), 1)).rejects.toThrow('(late reporter): late failure');
    expect(log).toEqual(['finding settled', 'finding settled', 'finding settled', 'run-end written']);
  });

  it('abort releases every reporter without writing reports and never throws; later calls do nothing', async () => {
    const log: string[] = [];
    const stubborn = definition('stubborn', () => ({
      onRunFailed: () => {
        throw new Error('cannot let go');
      },
    }));
    const run = runReporters([stubborn, recorder('r', log)], memoryContext(memoryOutput()));
    run.emit({ type: 'attack-start', attack: 'a', endpoint: 'e' });
    await run.abort();
    run.emit({ type: 'attack-start', attack: 'b', endpoint: 'e' });
    await run.end(hostileResult(), 1);
    await run.abort();
    expect(log).toEqual(['r:attack-start a', 'r:run-failed']);
  });

  it('gives the end to reporters once: run end after run end does nothing', async () => {
    const log: string[] = [];
    const run = runReporters([recorder('r', log)], memoryContext(memoryOutput()));
    await run.end(hostileResult(), 0);
    await run.end(hostileResult(), 1);
    await run.abort();
    expect(log).toEqual(['r:run-end 0']);
    expect(runReporters([definition('x', () => ({}))], memoryContext(memoryOutput())).wantsExchanges).toBe(false);
  });
});
