/**
 * The demo target in its own process (needs dist/: `npm test` builds it first; run alone, this
 * file builds it when it is missing).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { startDemoChild } from './child.js';

const ROOT = join(import.meta.dirname, '..', '..');

beforeAll(() => {
  if (existsSync(join(ROOT, 'dist', 'demo', 'child-main.js'))) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; the demo child needs dist/');
}, 180_000);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('the demo target in a child process', () => {
  it('serves the chosen flaws on every node and ends its process on close', async () => {
    const child = await startDemoChild({ flaws: ['race'], nodes: 2 });
    try {
      expect(child.urls).toHaveLength(2);
      for (const url of child.urls) {
        const health = (await (await fetch(`${url}/health`)).json()) as { flaws: string[] };
        expect(health.flaws).toEqual(['race']);
      }
      expect(child.pid).not.toBe(process.pid);
      expect(alive(child.pid)).toBe(true);
    } finally {
      await child.close();
    }
    expect(alive(child.pid)).toBe(false);
    await child.close(); // closing again is harmless
  });

  it('says why when the target cannot start', async () => {
    await expect(startDemoChild({ flaws: [], nodes: 1, host: '203.0.113.1' })).rejects.toThrow(
      /the demo target did not start: .*203\.0\.113\.1/,
    );
  });

  it('ignores Ctrl-C (the auditor decides when it stops) and never outlives a parent that died', async () => {
    // A parent that starts the target and is then killed without closing it.
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startDemoChild } = await import(${JSON.stringify(join(ROOT, 'dist', 'demo', 'child.js'))});
         const c = await startDemoChild({ flaws: [] });
         process.stdout.write(String(c.pid) + '\\n');
         setInterval(() => undefined, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = await new Promise<number>((resolve) =>
      parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
    );
    expect(alive(pid)).toBe(true);
    process.kill(pid, 'SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await until(() => !alive(pid), 5_000)).toBe(true);
  });
});
