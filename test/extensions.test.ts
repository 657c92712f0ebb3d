/**
 * Every registered extension has its code, its tests and (attacks, observers) its docs page.
 * Attacks are found by id (id = file name, DESIGN.md §2); observers and reporters are found by
 * which module in their folder exports the registered object, so a camelCase YAML id such as
 * `responseId` needs no naming convention to map onto `response-id.ts`. For attacks the other
 * direction holds too: no attack file, unit test, docs page or README row without a registered
 * attack, and the README's table is exactly what `npm run docs:attacks` writes from the meta.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SUITE, attacks } from '../src/attacks/index.js';
import { observers } from '../src/observers/index.js';
import { reporters } from '../src/reporters/index.js';
import { TABLE_END, TABLE_START, withAttackTable } from '../scripts/lib/attack-table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC_HEADINGS = ['What it sends', 'Which promise it checks', 'Findings', 'False positives', 'Options'];

/**
 * Registered reporters and observers that have no test file yet. The check fails when one of
 * these gains its test (remove it here) as well as when a new extension comes without one.
 */
const KNOWN_UNTESTED = new Set<string>(['observers/http-count']);

function testFileFor(folder: string, base: string): string | undefined {
  return [join(ROOT, 'src', folder, `${base}.test.ts`), join(ROOT, 'test', folder, `${base}.test.ts`)].find((f) =>
    existsSync(f),
  );
}

/** The module (file name without .ts) in `src/<folder>` that exports `value`. */
async function moduleExporting(folder: string, value: unknown): Promise<string | undefined> {
  const dir = join(ROOT, 'src', folder);
  const files = readdirSync(dir).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !['index.ts', 'types.ts'].includes(f),
  );
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as Record<string, unknown>;
    if (Object.values(mod).includes(value)) return f.slice(0, -'.ts'.length);
  }
  return undefined;
}

function headings(markdown: string): string[] {
  return [...markdown.matchAll(/^## (.+)$/gm)].map((m) => (m[1] ?? '').trim());
}

describe('attacks', () => {
  it.each(Object.entries(attacks))('%s has its file, its test and its docs page', (id, attack) => {
    expect(attack.meta.id).toBe(id);
    expect(existsSync(join(ROOT, 'src', 'attacks', `${id}.ts`)), `src/attacks/${id}.ts`).toBe(true);
    expect(testFileFor('attacks', id), `src/attacks/${id}.test.ts`).toBeDefined();
    const doc = join(ROOT, 'docs', 'attacks', `${id}.md`);
    expect(existsSync(doc), `docs/attacks/${id}.md`).toBe(true);
    const text = readFileSync(doc, 'utf8');
    expect(text.startsWith(`# ${id}`), 'the page starts with "# <id>"').toBe(true);
    expect(headings(text).map((h) => h.replace(/ \(.*\)$/, ''))).toEqual(DOC_HEADINGS);
    // The page names every finding kind the attack can report, so docs and code cannot drift apart.
    for (const kind of Object.keys(attack.meta.findings)) expect(text, `docs mention ${kind}`).toContain(`\`${kind}\``);
  });
});

describe('the attack catalogue', () => {
  const ids = Object.keys(attacks);
  const files = (dir: string, suffix: string): string[] =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith(suffix))
      .map((f) => f.slice(0, -suffix.length));

  it('is one registry sorted by id, with a module for each attack and no unregistered module', () => {
    expect(ids).toEqual([...ids].sort());
    const modules = files('src/attacks', '.ts').filter((f) => !f.endsWith('.test') && !['index', 'types'].includes(f));
    expect(modules.sort()).toEqual(ids);
    expect(DEFAULT_SUITE.filter((id) => !ids.includes(id))).toEqual([]);
  });

  it('has a unit test and a docs page for each attack, and none for an attack that is not registered', () => {
    const unitTests = files('src/attacks', '.test.ts').filter((f) => f !== 'demo');
    expect(unitTests.sort()).toEqual(ids);
    expect(files('docs/attacks', '.md').sort()).toEqual(ids);
  });

  it('runs each attack once end to end against the demo target (src/attacks/demo.test.ts)', () => {
    const demo = readFileSync(join(ROOT, 'src', 'attacks', 'demo.test.ts'), 'utf8');
    const covered = [...demo.matchAll(/^ {2}it\('([a-z-]+): /gm)].map((m) => m[1]);
    expect(covered).toEqual(ids);
  });

  it.each(Object.entries(attacks))('%s says what it sends and finds, naming exactly its finding kinds', (_, attack) => {
    const { sends, finds, findings } = attack.meta;
    expect(sends, 'meta.sends').toMatch(/\S/);
    const named = [...(finds ?? '').matchAll(/`([a-z]+(?:-[a-z]+)+)`/g)].map((m) => m[1]);
    expect([...new Set(named)].sort(), 'the kinds meta.finds names in backticks').toEqual(Object.keys(findings).sort());
  });

  it('has the README table npm run docs:attacks writes, one row per registered attack', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END));
    const rows = [...block.matchAll(/^\| `([a-z-]+)`/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(ids);
    expect(await withAttackTable(readme, attacks, DEFAULT_SUITE, ROOT), 'run npm run docs:attacks').toBe(readme);
  });
});

describe('observers', () => {
  it.each(Object.entries(observers))('%s has its file, its test and its docs page', async (id, observer) => {
    expect(observer.meta.id).toBe(id);
    const file = await moduleExporting('observers', observer);
    expect(file, `a module in src/observers exports the '${id}' observer`).toBeDefined();
    if (file === undefined) return;
    if (!KNOWN_UNTESTED.has(`observers/${file}`))
      expect(testFileFor('observers', file), `${file}.test.ts`).toBeDefined();
    expect(existsSync(join(ROOT, 'docs', 'observers', `${id}.md`)), `docs/observers/${id}.md`).toBe(true);
  });
});

describe('reporters', () => {
  it.each(Object.entries(reporters))('%s has its file and its test', async (id, reporter) => {
    expect(reporter.meta.id).toBe(id);
    const file = await moduleExporting('reporters', reporter);
    expect(file, `a module in src/reporters exports the '${id}' reporter`).toBeDefined();
    if (file === undefined) return;
    if (!KNOWN_UNTESTED.has(`reporters/${file}`))
      expect(testFileFor('reporters', file), `${file}.test.ts`).toBeDefined();
  });
});

describe('the untested list only shrinks', () => {
  it('lists only extensions that exist and still lack a test', () => {
    for (const entry of KNOWN_UNTESTED) {
      const [folder = '', base = ''] = entry.split('/');
      expect(existsSync(join(ROOT, 'src', folder, `${base}.ts`)), `${entry} exists`).toBe(true);
      expect(testFileFor(folder, base), `${entry} has a test now: remove it from KNOWN_UNTESTED`).toBeUndefined();
    }
  });
});
