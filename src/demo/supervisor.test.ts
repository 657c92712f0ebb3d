/**
 * The supervisor on real child processes: the built child entry (`npm test` builds dist/ first),
 * killed and restarted on its ports, and commands that fail or say nothing, all bounded.
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CHILD_ENTRY } from '../../test/helpers/audit-demo.js';
import { startDemoControl } from './control.js';
import { callControl } from './hook-client.js';
import { DemoSupervisor, SupervisorError } from './supervisor.js';

const serveDemo = (ports: readonly number[] | undefined): string[] => [
  process.execPath,
  CHILD_ENTRY,
  JSON.stringify({ flaws: 'none', nodes: 2, ...(ports ? { ports } : {}) }),
];

const started: DemoSupervisor[] = [];
afterAll(async () => {
  for (const s of started) await s.stop();
});

async function health(url: string): Promise<number | string> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? 'error';
  }
}

describe('DemoSupervisor', () => {
  it('starts the target, kills it at once, restarts it on the same ports, and stops it', async () => {
    const s = new DemoSupervisor({ command: serveDemo });
    started.push(s);
    const urls = await s.start();
    expect(urls).toHaveLength(2);
    expect(await Promise.all(urls.map(health))).toEqual([200, 200]);
    const pid = s.pid;
    await s.crash();
    expect(s.running).toBe(false);
    expect(await Promise.all(urls.map(health))).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    expect(await s.restart()).toEqual(urls);
    expect(s.pid).not.toBe(pid);
    expect(await Promise.all(urls.map(health))).toEqual([200, 200]);
    await s.stop();
    expect(s.running).toBe(false);
    expect(await health(urls[0] ?? '')).toBe('ECONNREFUSED');
  }, 60_000);

  it('serves the demo hooks through its control endpoint, and refuses a wrong path', async () => {
    const s = new DemoSupervisor({ command: serveDemo });
    started.push(s);
    const [url = ''] = await s.start();
    const control = await startDemoControl({ supervisor: s });
    try {
      expect(await callControl(`${control.url}/crash`)).toMatchObject({
        ok: true,
        text: expect.stringContaining('SIGKILL') as string,
      });
      expect(await health(url)).toBe('ECONNREFUSED');
      expect((await callControl(`${control.url}/restart`)).ok).toBe(true);
      expect(await callControl(`${control.url}/ready`)).toMatchObject({ ok: true });
      expect(await health(url)).toBe(200);
      expect(await callControl(`${control.url}/store-down`)).toEqual({
        ok: false,
        text: 'this demo has no key store proxy\n',
      });
      expect((await callControl(`${control.url.replace(/\/[0-9a-f]+$/, '/guess')}/crash`)).ok).toBe(false);
      expect(await health(url)).toBe(200);
    } finally {
      await control.close();
      await s.stop();
    }
  }, 60_000);

  it('takes the target down with it: a child whose stdin closes exits', async () => {
    // A supervisor in a process of its own, killed with SIGKILL: nothing of it can clean up.
    const script = `import { DemoSupervisor } from ${JSON.stringify(new URL('../../dist/demo/supervisor.js', import.meta.url).href)};
      const s = new DemoSupervisor({ command: () => ${JSON.stringify(serveDemo(undefined))} });
      const urls = await s.start();
      console.log(JSON.stringify({ url: urls[0], pid: s.pid }));`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      parent.on('exit', () => reject(new Error(`the supervisor exited first: ${out}`)));
    });
    const { url, pid } = JSON.parse(line) as { url: string; pid: number };
    expect(await health(url)).toBe(200);
    parent.kill('SIGKILL');
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive && (await health(url)) === 'ECONNREFUSED') alive = false;
    }
    expect(alive).toBe(false);
  }, 60_000);

  it('reports a target that exits before listening, with its error output, and one that says nothing, in bounded time', async () => {
    const bad = new DemoSupervisor({
      command: () => [process.execPath, CHILD_ENTRY, JSON.stringify({ flaws: 'racy' })],
    });
    await expect(bad.start()).rejects.toThrow(/exited \(code 2\) before it listened: .*Unknown demo flaw 'racy'/s);
    const mute = new DemoSupervisor({
      command: () => [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      startTimeoutMs: 500,
    });
    const t0 = Date.now();
    await expect(mute.start()).rejects.toThrow(SupervisorError);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(mute.running).toBe(false);
  }, 30_000);
});
