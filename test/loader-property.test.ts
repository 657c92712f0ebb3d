/**
 * Property: whatever bytes or values a scenario holds, the loader (with the real attack and
 * observer registries) returns a scenario or throws a ScenarioError whose every issue names the
 * file and a position; nothing else ever escapes. src/config/load.test.ts covers raw text against
 * a fake registry; this one puts arbitrary values into every field of a real scenario.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { extensionSchemas } from '../src/engine/extension-schemas.js';
import { loadScenarioText } from '../src/config/load.js';
import { ScenarioError } from '../src/errors/errors.js';

const FILE = '/virtual/scenario.yaml';
const EXT = extensionSchemas();

const VALID = {
  version: 1,
  name: 'prop',
  target: { baseUrl: 'http://127.0.0.1:9', timeout: '1s', headers: { Authorization: 'Bearer x' } },
  contract: { profile: 'ietf' },
  endpoints: {
    pay: {
      request: { method: 'POST', path: '/pay', body: { amount: 1 } },
      observe: [{ responseId: '$.id' }],
      suite: 'none',
      attacks: { 'sequential-replay': { replays: 1 }, 'concurrent-burst': { copies: 2 } },
    },
  },
  settings: { seed: 1, maxRequests: 100 },
};

/** Every path to a value inside VALID, so a generated value can replace any one of them. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  return [prefix, ...Object.entries(v).flatMap(([k, c]) => paths(c, [...prefix, k]))];
}
const PATHS = paths(VALID).filter((p) => p.length > 0);

function replaced(path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(VALID) as Record<string, unknown>;
  let cur: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) cur[last] = value;
  return copy;
}

function expectOnlyScenarioErrors(text: string, env: NodeJS.ProcessEnv = {}): void {
  try {
    loadScenarioText(text, FILE, EXT, env);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    expect(e.issues.length).toBeGreaterThan(0);
    for (const issue of e.issues) {
      expect(issue.file).toBe(FILE);
      expect(issue.line).toBeGreaterThanOrEqual(0);
      expect(issue.message).not.toMatch(/^internal error/);
    }
  }
}

describe('scenario loader (real registries)', () => {
  it('accepts the unmodified base scenario', () => {
    expect(loadScenarioText(stringify(VALID), FILE, EXT, {}).name).toBe('prop');
  });

  it('any value in any field: a scenario or a ScenarioError, nothing else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), fc.anything({ maxDepth: 3 }), (path, value) => {
        expectOnlyScenarioErrors(stringify(replaced(path, value)));
      }),
      { numRuns: 200 },
    );
  });

  it('unknown keys anywhere: refused with the key in the path', () => {
    fc.assert(
      fc.property(
        // An observe item is `{ <observer>: options }`: a second key there is a different error.
        fc.constantFrom(...paths(VALID).filter((p) => isObjectAt(p) && p.at(-2) !== 'observe')),
        fc.stringMatching(/^[a-z]{3,10}$/),
        (path, key) => {
          const doc = replaced([...path, `zz${key}`], 1);
          try {
            loadScenarioText(stringify(doc), FILE, EXT, {});
          } catch (e) {
            if (!(e instanceof ScenarioError)) throw e;
            expect(e.issues.some((i) => i.path.endsWith(`zz${key}`) && i.line > 0)).toBe(true);
            return;
          }
          // Only free-form maps (headers, request bodies) may take any key.
          expect(path.some((p) => p === 'headers' || p === 'body')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('corpus files with random edits: only ScenarioErrors', () => {
    const dir = join(import.meta.dirname, 'fixtures', 'broken-scenarios');
    const corpus = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'latin1'));
    fc.assert(
      fc.property(
        fc.constantFrom(...corpus),
        fc.nat(),
        fc.nat(),
        fc.string({ maxLength: 8, unit: 'binary' }),
        (text, a, b, insert) => {
          const i = a % (text.length + 1);
          const j = b % (text.length + 1);
          expectOnlyScenarioErrors(text.slice(0, Math.min(i, j)) + insert + text.slice(Math.max(i, j)), {
            IDEM_BROKEN_SEED: '1',
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

function isObjectAt(path: readonly string[]): boolean {
  let cur: unknown = VALID;
  for (const k of path) cur = (cur as Record<string, unknown>)[k];
  return cur !== null && typeof cur === 'object' && !Array.isArray(cur);
}
