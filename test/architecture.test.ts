/**
 * The folder rules of ARCHITECTURE.md as the lint enforces them (eslint.boundaries.js): the table
 * covers every folder of src/, has no cycle, and the lint really reports a forbidden import of
 * each kind. The last part guards against a rule that passes everything, e.g. because the resolver
 * stopped mapping `.js` imports to their `.ts` sources.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it, vi } from 'vitest';

type Layers = Record<string, readonly string[] | 'everything'>;
interface BoundariesConfig {
  LAYERS: Layers;
  layerOrder(layers: Layers): string[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let config: BoundariesConfig;
let eslint: ESLint;

beforeAll(async () => {
  config = (await import(pathToFileURL(join(ROOT, 'eslint.boundaries.js')).href)) as BoundariesConfig;
  // Probes are files that do not exist, so they cannot be type-checked; the boundaries rules need no types.
  eslint = new ESLint({ cwd: ROOT, overrideConfig: tseslint.configs.disableTypeChecked });
});

/** The boundaries messages for `code` linted as if it were the file `path`. */
async function boundaryErrors(path: string, code: string): Promise<string[]> {
  // The plugin skips a policy it cannot evaluate with only a console warning: that must fail here.
  const warn = vi.spyOn(console, 'warn');
  let result: ESLint.LintResult | undefined;
  try {
    [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
    expect(warn.mock.calls.flat().filter((w) => String(w).includes('[boundaries]'))).toEqual([]);
  } finally {
    warn.mockRestore();
  }
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal === true)).toEqual([]);
  return messages.filter((m) => m.ruleId?.startsWith('boundaries/')).map((m) => m.ruleId ?? '');
}

describe('the folder table', () => {
  it('has a row for every folder of src/, and none for a folder that is gone', () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(Object.keys(config.LAYERS).sort()).toEqual([...folders, 'entry'].sort());
  });

  it('is acyclic', () => {
    const order = config.layerOrder(config.LAYERS);
    for (const [layer, allowed] of Object.entries(config.LAYERS))
      if (allowed !== 'everything')
        for (const dep of allowed) expect(order.indexOf(dep), `${layer} → ${dep}`).toBeLessThan(order.indexOf(layer));
  });

  it('is refused with a cycle, however long, or with a rule naming no layer', () => {
    expect(() => config.layerOrder({ a: ['b'], b: ['c'], c: ['a'] })).toThrow('folder import cycle: a → b → c → a');
    expect(() => config.layerOrder({ a: [], cli: 'everything', tools: 'everything' })).toThrow(/cycle/);
    expect(() => config.layerOrder({ a: ['nowhere'] })).toThrow('a may import nowhere, which is no layer');
  });
});

describe('the lint', { timeout: 60_000 }, () => {
  it('reports an import against the table: value, type-only, re-export and dynamic', async () => {
    const code = [
      "import { runAudit } from '../engine/run-audit.js';",
      "import type { AuditResult } from '../result/result.js';",
      "export { EXIT } from '../verdict/exit-codes.js';",
      "export const later = () => import('../cli/main.js');",
      'export type Both = [typeof runAudit, AuditResult];',
    ].join('\n');
    expect(await boundaryErrors('src/attacks/probe.ts', code)).toEqual(Array(4).fill('boundaries/dependencies'));
  });

  it('lets an import the table allows through', async () => {
    const code = "import { Rng } from '../random/rng.js';\nexport const r = new Rng(1);\n";
    expect(await boundaryErrors('src/attacks/probe.ts', code)).toEqual([]);
    expect(await boundaryErrors('src/probe.ts', "export { packageVersion } from './package-info.js';")).toEqual([]);
    expect(await boundaryErrors('src/cli/probe.ts', "export { packageVersion } from '../package-info.js';")).toEqual(
      [],
    );
  });

  it('keeps the API off the CLI and the demo, and production code off the test helpers', async () => {
    expect(await boundaryErrors('src/probe.ts', "export { main } from './cli/main.js';")).toEqual([
      'boundaries/dependencies',
    ]);
    expect(await boundaryErrors('src/probe.ts', "export { startDemoServer } from './demo/index.js';")).toEqual([
      'boundaries/dependencies',
    ]);
    expect(
      await boundaryErrors('src/http/probe.ts', "export { httpServer } from '../../test/helpers/servers.js';"),
    ).toEqual(['boundaries/dependencies']);
  });

  it('lets tests use the demo and test helpers but not the CLI or the public entry', async () => {
    const ok = "export * from '../demo/index.js';\nexport * from '../../test/helpers/cli.js';\n";
    expect(await boundaryErrors('src/attacks/probe.test.ts', ok)).toEqual([]);
    for (const off of ['../cli/main.js', '../index.js'])
      expect(await boundaryErrors('src/attacks/probe.test.ts', `export * from '${off}';`)).toEqual([
        'boundaries/dependencies',
      ]);
  });

  it('lets examples use only the public entries', async () => {
    const ok = "export * from '../src/index.js';\nexport * from '../src/demo/index.js';\n";
    expect(await boundaryErrors('examples/probe.test.ts', ok)).toEqual([]);
    expect(await boundaryErrors('examples/probe.test.ts', "export * from '../src/engine/run-audit.js';")).toEqual([
      'boundaries/dependencies',
    ]);
  });

  it('refuses a file in a folder the table does not know', async () => {
    expect(await boundaryErrors('src/elsewhere/probe.ts', 'export const x = 1;\n')).toEqual([
      'boundaries/no-unknown-files',
    ]);
  });
});
