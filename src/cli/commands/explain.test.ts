import { describe, expect, it } from 'vitest';
import { attacks } from '../../attacks/index.js';
import { cli } from '../../../test/helpers/cli.js';
import { optionDocs } from './explain.js';

describe('idem-audit explain', () => {
  it('shows the options with defaults and every finding kind from the attack metadata', async () => {
    const r = await cli(['explain', 'concurrent-burst']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^concurrent-burst: /);
    // What it sends and finds, in the README's words (without markdown).
    expect(r.stdout).toContain(
      'sends: N identical requests with one key, on N connections opened first, released in one tick; several rounds',
    );
    expect(r.stdout).toContain('finds: duplicate-write (critical), race-error (5xx for the losers, medium)');
    expect(r.stdout).toMatch(/copies: integer \(≥ 2, ≤ 200\) = 10/);
    expect(r.stdout).toMatch(/duplicate-write \(critical\)/);
    expect(r.stdout).toMatch(/breaks: IK-24, IK-30/);
    expect(r.stdout).toMatch(/docs: docs\/attacks\/concurrent-burst\.md/);
  });

  it.each(Object.keys(attacks))('explains %s without error', async (id) => {
    const r = await cli(['explain', id]);
    expect(r.code, r.stderr).toBe(0);
    const attack = attacks[id];
    for (const kind of Object.keys(attack?.meta.findings ?? {})) expect(r.stdout).toContain(kind);
  });

  it('suggests the closest id for a typo', async () => {
    const r = await cli(['explain', 'concurent-burst']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/did you mean 'concurrent-burst'/);
  });

  it.each(['constructor', '__proto__', 'toString'])('rejects %s as an unknown attack, not a crash', async (id) => {
    const r = await cli(['explain', id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`unknown attack '${id}'`);
    expect(r.stderr).not.toContain('internal error');
  });

  it('reads option docs from the zod schema', () => {
    const burst = attacks['concurrent-burst'];
    expect(burst && optionDocs(burst).map((o) => o.name)).toEqual(expect.arrayContaining(['copies', 'rounds']));
  });
});
