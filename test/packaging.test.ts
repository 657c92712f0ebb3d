/**
 * The package as users get it: build, `npm pack`, lay the tarball out in an empty project as an
 * install would, then run the installed binary. Catches a missing file in "files", a dependency
 * left in devDependencies, a broken bin shim, and test code leaking into the tarball.
 *
 * Offline and registry-free: `npm install --offline <tarball>` would need package metadata that
 * `npm ci` never caches, so the test unpacks the tarball itself and gives the consumer only the
 * production dependency closure (symlinks into this checkout's node_modules). A dependency the
 * compiled code imports but package.json lists under devDependencies is then missing, as it
 * would be for a user.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const STEP_MS = 300_000;

interface PackFile {
  path: string;
}

const work = mkdtempSync(join(tmpdir(), 'idem-pack-'));
const consumer = join(work, 'consumer');
let files: string[] = [];

async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run('npm', args, {
    cwd,
    timeout: STEP_MS,
    maxBuffer: 32 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

beforeAll(async () => {
  // An unbuilt tree packs no dist/ (there is no prepare script), so build exactly as `npm run build` does.
  await run(process.execPath, [TSC, '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: STEP_MS });
  const packed = await npm(['pack', '--json', '--pack-destination', work], ROOT);
  const info = JSON.parse(packed.stdout) as { filename: string; files: PackFile[] }[];
  const tarball = info[0];
  if (!tarball) throw new Error(`npm pack printed no tarball: ${packed.stdout}`);
  files = tarball.files.map((f) => f.path);
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const modules = join(consumer, 'node_modules');
  const installed = join(modules, 'idem-audit');
  mkdirSync(installed, { recursive: true });
  await run('tar', ['-xzf', join(work, tarball.filename), '-C', installed, '--strip-components=1'], {
    timeout: STEP_MS,
  });
  for (const dir of await productionDependencies()) {
    const link = join(modules, relative(join(ROOT, 'node_modules'), dir));
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(dir, link, 'dir');
  }
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  mkdirSync(join(modules, '.bin'));
  for (const [name, target] of Object.entries(manifest.bin)) {
    symlinkSync(join('..', 'idem-audit', target), join(modules, '.bin', name));
    chmodSync(join(installed, target), 0o755);
  }
}, 3 * STEP_MS);

/** Top-level folders of the dependencies an install without devDependencies would have. */
async function productionDependencies(): Promise<string[]> {
  const { stdout } = await npm(['ls', '--omit=dev', '--all', '--parseable'], ROOT);
  const top = join(ROOT, 'node_modules') + sep;
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(top))
    .filter((l) => {
      const parts = relative(top, l).split(sep);
      // `name` or `@scope/name` directly under node_modules; nested copies come with their parent.
      return parts.length === 1 || (parts.length === 2 && parts[0]?.startsWith('@') === true);
    });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('holds only what users need: the bin, the compiled code, the demo scenario, README', () => {
    expect(files).toContain('bin/idem-audit.js');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('scenarios/demo.yaml');
    const allowed = /^(bin\/|dist\/|scenarios\/|README\.md$|package\.json$|LICENSE)/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    // No tests, test helpers, fixtures or TypeScript sources.
    expect(
      files.filter((f) => /\.test\.|__fixtures__|(^|\/)test\/|helpers\/|\.ts$/.test(f) && !f.endsWith('.d.ts')),
    ).toEqual([]);
  });

  it(
    'installs without devDependencies and `npx idem-audit --version` prints the package version',
    async () => {
      const { stdout } = await run('npx', ['--offline', '--no-install', 'idem-audit', '--version'], {
        cwd: consumer,
        timeout: STEP_MS,
      });
      const pkg = (await import(join(ROOT, 'package.json'), { with: { type: 'json' } })) as {
        default: { version: string };
      };
      expect(stdout.trim()).toBe(pkg.default.version);
    },
    STEP_MS,
  );

  it(
    '`npx idem-audit demo --flaws none` audits the bundled demo cleanly (exit 0)',
    async () => {
      const { stdout } = await run(
        'npx',
        ['--offline', '--no-install', 'idem-audit', 'demo', '--flaws', 'none', '--out', join(work, 'reports')],
        { cwd: consumer, timeout: STEP_MS, env: { ...process.env, NO_COLOR: '1' } },
      );
      expect(stdout).toMatch(/exit 0/);
      expect(stdout).toMatch(/0 findings/);
    },
    STEP_MS,
  );

  it(
    'the programmatic API resolves as `import { audit } from "idem-audit"`',
    async () => {
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "import { audit, loadScenario } from 'idem-audit'; console.log(typeof audit, typeof loadScenario);",
        ],
        { cwd: consumer, timeout: STEP_MS },
      );
      expect(stdout.trim()).toBe('function function');
    },
    STEP_MS,
  );
});
