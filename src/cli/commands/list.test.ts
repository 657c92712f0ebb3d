import { describe, expect, it } from 'vitest';
import { attacks } from '../../attacks/index.js';
import { observers } from '../../observers/index.js';
import { reporters } from '../../reporters/index.js';
import { cli } from '../../../test/helpers/cli.js';

describe('idem-audit list', () => {
  it.each([
    ['attacks', Object.keys(attacks)],
    ['observers', Object.keys(observers)],
    ['reporters', Object.keys(reporters)],
  ])('list %s prints every registered id, one per line', async (kind, ids) => {
    const r = await cli(['list', kind]);
    expect(r.code).toBe(0);
    const printed = r.stdout
      .split('\n')
      .filter((l) => /^\S/.test(l) && !l.startsWith('run '))
      .map((l) => l.split(/\s+/)[0]);
    expect(printed).toEqual(ids);
  });

  it('marks attacks outside the default suite as opt-in', async () => {
    const r = await cli(['list', 'attacks']);
    expect(r.stdout).toMatch(/^concurrent-burst +Identical requests.*[^)]$/m);
  });

  it('rejects an unknown kind with a usage error', async () => {
    const r = await cli(['list', 'widgets']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown kind 'widgets'/);
  });
});
