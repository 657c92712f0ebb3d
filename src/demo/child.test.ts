/**
 * The demo target's own process (child.ts) under DemoSupervisor, as `idem-audit demo` runs it.
 * Needs dist/: `npm test` builds it first; run alone, this file builds it when it is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DemoSupervisor } from './supervisor.js';
import type { ChildOptions } from './child.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ENTRY = join(ROOT, 'dist', 'demo', 'child.js');

beforeAll(() => {
  if (existsSync(ENTRY)) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed; the demo child needs dist/');
}, 180_000);

const started: DemoSupervisor[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});

function supervise(o: ChildOptions): DemoSupervisor {
  const s = new DemoSupervisor({ command: () => [process.execPath, ENTRY, JSON.stringify(o)], startTimeoutMs: 15_000 });
  started.push(s);
  return s;
}

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
  it('serves the chosen flaws on every node and ends its process on stop', async () => {
    const s = supervise({ flaws: 'race', nodes: 2 });
    const urls = await s.start();
    expect(urls).toHaveLength(2);
    for (const url of urls) {
      const health = (await (await fetch(`${url}/health`)).json()) as { flaws: string[] };
      expect(health.flaws).toEqual(['race']);
    }
    const pid = s.pid as number;
    expect(pid).not.toBe(process.pid);
    expect(alive(pid)).toBe(true);
    await s.stop();
    expect(alive(pid)).toBe(false);
    await s.stop(); // stopping again is harmless
  });

  it('says why when the target cannot start', async () => {
    await expect(supervise({ flaws: 'none', host: '203.0.113.1' }).start()).rejects.toThrow(/203\.0\.113\.1/);
  });

  it('ignores Ctrl-C (the auditor decides when it stops) and never outlives a parent that died', async () => {
    // A parent that starts the target and is then killed without stopping it.
    const parent = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { DemoSupervisor } = await import(${JSON.stringify(join(ROOT, 'dist', 'demo', 'supervisor.js'))});
         const s = new DemoSupervisor({ command: () => [process.execPath, ${JSON.stringify(ENTRY)}, '{"flaws":"none"}'] });
         await s.start();
         process.stdout.write(String(s.pid) + '\\n');
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
