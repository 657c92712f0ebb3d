import { describe, expect, it } from 'vitest';
import { cli } from '../../test/helpers/cli.js';

describe('durations on the command line', () => {
  it.each([
    ['--deadline', '5'],
    ['--max-wait', '30'],
  ])('%s %s without a unit is refused rather than read as milliseconds', async (flag, value) => {
    const r = await cli(['run', 'whatever.yaml', flag, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${flag} needs a unit, got '${value}'`);
    expect(r.stderr).toContain(`${flag} ${value}s`);
  });

  it('still takes durations with units', async () => {
    // Parsed before the scenario is read: the error is about the missing file, not the flags.
    const r = await cli(['run', 'whatever.yaml', '--deadline', '1h30m', '--max-wait', '500ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('IDEM_SCENARIO_NOT_FOUND');
  });
});
