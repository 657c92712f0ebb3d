/**
 * The package as users get it: build, `npm pack`, install the tarball into an empty project
 * offline, then run the installed binary. Catches a missing file in "files", a dependency left in
 * devDependencies, a broken bin shim, and test code leaking into the tarball.
 *
 * Offline and registry-free: `npm install --offline <tarball>` would need package metadata that
 * `npm ci` never caches, so the consumer gets a lockfile instead: the tarball plus this project's
 * locked production dependencies (name, version, integrity). `npm ci --offline` then installs
 * exactly those from the tarballs the project's own `npm ci` left in the npm cache. A dependency
 * the compiled code imports but package.json lists under devDependencies is missing, as it
 * would be for a user.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  writeConsumer(tarball.filename);
  await npm(['ci', '--offline', '--no-audit', '--no-fund'], consumer);
}, 3 * STEP_MS);

interface LockEntry {
  dev?: boolean;
  [field: string]: unknown;
}

/** package.json and package-lock.json of a project whose only dependency is the tarball. */
function writeConsumer(tarball: string): void {
  const spec = `file:../${tarball}`;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { 'idem-audit': spec } },
    'node_modules/idem-audit': {
      version: manifest['version'],
      resolved: spec,
      license: manifest['license'],
      dependencies: manifest['dependencies'],
      bin: manifest['bin'],
      engines: manifest['engines'],
    },
  };
  for (const [path, entry] of Object.entries(lock.packages))
    if (path !== '' && entry.dev !== true) packages[path] = entry;
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'idem-audit': spec } }),
  );
  writeFileSync(
    join(consumer, 'package-lock.json'),
    JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }, null, 2),
  );
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
    'installs offline and `npx idem-audit --version` prints the package version',
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

  it(
    'the demo target has its own entry, `idem-audit/demo`, and is no part of the main API',
    async () => {
      const { stdout } = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "import * as api from 'idem-audit'; import { startDemoServer } from 'idem-audit/demo'; console.log(typeof startDemoServer, 'startDemoServer' in api);",
        ],
        { cwd: consumer, timeout: STEP_MS },
      );
      expect(stdout.trim()).toBe('function false');
    },
    STEP_MS,
  );
});
