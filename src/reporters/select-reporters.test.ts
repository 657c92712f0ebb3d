import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/errors.js';
import { reporters } from './index.js';
import { selectReporters, selectableReporterIds } from './select-reporters.js';
import type { ReporterEnvironment } from './types.js';

const PLAIN: ReporterEnvironment = { env: {}, quiet: false, interactive: false, live: true };
const ids = (list: readonly string[] | undefined, env: ReporterEnvironment = PLAIN): string[] =>
  selectReporters(list, env).map((r) => r.meta.id);

describe('selectReporters', () => {
  it('keeps the registry sorted by id, each entry under its own id', () => {
    const keys = Object.keys(reporters);
    expect(keys).toEqual([...keys].sort());
    for (const [id, r] of Object.entries(reporters)) expect(r.meta.id).toBe(id);
  });

  it('--reporter accepts the outputs it always has', () => {
    expect(selectableReporterIds()).toEqual(['har', 'html', 'json', 'junit', 'markdown', 'sarif', 'terminal']);
  });

  it('runs every default output, plus the event log, when --reporter is not given', () => {
    expect(ids(undefined)).toEqual(['events', 'har', 'html', 'json', 'junit', 'markdown', 'terminal']);
    expect(ids([])).toEqual(ids(undefined));
  });

  it('runs the chosen outputs in registry order, and the event log whatever was chosen', () => {
    expect(ids(['terminal', 'har'])).toEqual(['events', 'har', 'terminal']);
  });

  it('writes SARIF only when asked; `default` stands for the outputs written without --reporter', () => {
    expect(ids(undefined)).not.toContain('sarif');
    expect(ids(['default', 'sarif'])).toEqual([...ids(undefined), 'sarif'].sort());
    expect(ids(['sarif'])).toEqual(['events', 'sarif']);
  });

  it('adds progress on an interactive terminal and github in GitHub Actions; --quiet silences the terminal', () => {
    expect(ids(['json'], { ...PLAIN, interactive: true })).toEqual(['events', 'json', 'progress']);
    expect(ids(['json'], { ...PLAIN, env: { GITHUB_ACTIONS: 'true' } })).toEqual(['events', 'github', 'json']);
    expect(ids(['terminal', 'json'], { ...PLAIN, quiet: true, interactive: true })).toEqual(['events', 'json']);
  });

  it('a merge writes no event log of its own', () => {
    expect(ids(undefined, { ...PLAIN, live: false })).toEqual(['har', 'html', 'json', 'junit', 'markdown', 'terminal']);
  });

  it('rejects an unknown id, or one that runs by its own rule, listing what --reporter accepts', () => {
    for (const [id, message] of [
      ['pdf', "--reporter: unknown reporter 'pdf'"],
      ['constructor', "--reporter: unknown reporter 'constructor'"],
      ['events', "--reporter: 'events' is not chosen with --reporter"],
    ] as const) {
      const attempt = (): unknown => selectReporters(['json', id], PLAIN);
      expect(attempt).toThrow(UsageError);
      expect(attempt).toThrow(message);
      try {
        attempt();
      } catch (err) {
        expect((err as UsageError).hint).toBe(
          '--reporter accepts: har, html, json, junit, markdown, sarif, terminal (default: har, html, json, junit, markdown, terminal)',
        );
      }
    }
  });
});
