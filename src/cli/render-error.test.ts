import { describe, expect, it } from 'vitest';
import { cli } from '../../test/helpers/cli.js';

describe('renderError', () => {
  it('points at the path of a missing scenario file, without asking to fix its fields', async () => {
    const r = await cli(['run', 'no-such-file.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: invalid scenario \[IDEM_SCENARIO_NOT_FOUND\]\n/);
    expect(r.stderr).toContain('no-such-file.yaml  (document)  scenario file not found (check the path you passed)');
    expect(r.stderr).not.toMatch(/Fix the fields/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
