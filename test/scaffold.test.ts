/**
 * `npm run new-attack`, run on a temporary copy of the repository: exactly four files touched, a
 * result that typechecks and is formatted, an attack that admits it is not implemented, and a
 * unit test that fails until it is.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Attack } from '../src/attacks/types.js';
import { modelTarget, runFake } from '../src/testing/index.js';
import { ScaffoldError, exportName, scaffoldAttack, withRegistryEntry } from '../scripts/lib/scaffold-attack.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const ID = 'replay-storm';

let copy: string;
let before: Map<string, string>;
let written: string[];

/** Every file under `dir` (node_modules aside) → a hash of its content. */
function snapshot(dir: string, base = dir, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) snapshot(path, base, out);
    else out.set(relative(base, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
  }
  return out;
}

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), 'idem-scaffold-'));
  for (const entry of ['src', 'docs', 'README.md', 'package.json', 'tsconfig.json', '.prettierrc.json'])
    cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  before = snapshot(copy);
  written = await scaffoldAttack(copy, ID);
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('npm run new-attack', () => {
  it('touches exactly the attack, its unit test, its docs page and the registry', () => {
    const after = snapshot(copy);
    const changed = [...after].filter(([f, h]) => before.get(f) !== h).map(([f]) => f);
    const removed = [...before.keys()].filter((f) => !after.has(f));
    expect(changed.sort()).toEqual(
      [
        'docs/attacks/replay-storm.md',
        'src/attacks/index.ts',
        'src/attacks/replay-storm.test.ts',
        'src/attacks/replay-storm.ts',
      ].sort(),
    );
    expect(written.sort()).toEqual(changed.sort());
    expect(removed).toEqual([]);
  });

  it('registers the attack in id order, import and entry, and nowhere else', () => {
    const index = readFileSync(join(copy, 'src/attacks/index.ts'), 'utf8');
    const imports = [...index.matchAll(/^import \{ \w+ \} from '\.\/([a-z-]+)\.js';$/gm)].map((m) => m[1]);
    const entries = [...index.matchAll(/^ {2}'?([a-z-]+)'?: \w+,$/gm)].map((m) => m[1]);
    expect(imports).toContain(ID);
    expect(imports).toEqual([...imports].sort());
    expect(entries).toContain(ID);
    expect(entries).toEqual([...entries].sort());
    expect(index).toContain(`'${ID}': replayStorm,`);
    // Opt-in until its author adds it to the default suite.
    expect(index.slice(index.indexOf('DEFAULT_SUITE'))).not.toContain(ID);
  });

  it('writes files that typecheck and are formatted', async () => {
    const tsconfig = join(copy, 'tsconfig.scaffold.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { noEmit: true },
        include: ['src/**/*.d.ts'],
        files: ['src/attacks/index.ts', `src/attacks/${ID}.ts`, `src/attacks/${ID}.test.ts`],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await expect(run(process.execPath, [tsc, '-p', tsconfig], { cwd: copy })).resolves.toBeDefined();
    for (const file of written) {
      const path = join(copy, file);
      const config = (await prettier.resolveConfig(path)) ?? {};
      expect(await prettier.check(readFileSync(path, 'utf8'), { ...config, filepath: path }), file).toBe(true);
    }
  }, 120_000);

  it('gives an attack that marks itself inconclusive until written, with docs naming its finding kinds', async () => {
    const mod = (await import(pathToFileURL(join(copy, 'src/attacks', `${ID}.ts`)).href)) as Record<string, Attack>;
    const attack = mod[exportName(ID)];
    if (!attack) throw new Error('the scaffolded module does not export the attack');
    expect(attack.meta.id).toBe(ID);
    const r = await runFake(attack, { target: modelTarget() });
    expect(r.outcome).toEqual({
      kind: 'inconclusive',
      reason: `not implemented: src/attacks/${ID}.ts has no run logic yet`,
    });
    expect(r.requests).toEqual([]);
    const doc = readFileSync(join(copy, 'docs/attacks', `${ID}.md`), 'utf8');
    expect(doc.startsWith(`# ${ID}`)).toBe(true);
    for (const kind of Object.keys(attack.meta.findings)) expect(doc).toContain(`\`${kind}\``);
  });

  it('gives a unit test that fails until the attack is written', async () => {
    const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
    const result = await run(process.execPath, [vitest, 'run', `src/attacks/${ID}.test.ts`], { cwd: copy }).then(
      () => ({ code: 0, stdout: '' }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/2 failed/);
  }, 120_000);

  it('refuses a taken or malformed id and leaves everything as it was', async () => {
    const now = snapshot(copy);
    await expect(scaffoldAttack(copy, ID)).rejects.toThrow(ScaffoldError);
    await expect(scaffoldAttack(copy, 'concurrent-burst')).rejects.toThrow(/exists already/);
    for (const bad of ['Replay', 'replay_storm', '-x', 'x-', '../x', ''])
      await expect(scaffoldAttack(copy, bad), bad).rejects.toThrow(/is not an attack id/);
    expect(snapshot(copy)).toEqual(now);
  });
});

describe('withRegistryEntry', () => {
  it('inserts at the sorted place, first and last included', () => {
    const index = readFileSync(join(ROOT, 'src/attacks/index.ts'), 'utf8');
    for (const id of ['aaa', 'zzz', 'm-middle']) {
      const out = withRegistryEntry(index, id);
      const entries = [...out.matchAll(/^ {2}'?([a-z-]+)'?: \w+,$/gm)].map((m) => m[1]);
      expect(entries).toEqual([...entries].sort());
      expect(entries).toContain(id);
    }
  });
});
