import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HookName, HookSpec } from '../scenario/types.js';
import { HookRunner, commandLine } from './runner.js';

const work = mkdtempSync(join(tmpdir(), 'idem-hooks-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const node = (script: string, timeoutMs = 10_000): HookSpec => ({
  argv: [process.execPath, '-e', script],
  shell: false,
  timeoutMs,
  cwd: work,
});

const runner = (specs: Partial<Record<HookName, HookSpec>>, outputCap?: number): HookRunner =>
  new HookRunner({
    specs,
    redact: (t) => t.replaceAll('s3cr3t-token', '[REDACTED]'),
    ...(outputCap === undefined ? {} : { outputCap }),
  });

/** Running, not a zombie waiting for a reaper (in a container, PID 1 may never reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('HookRunner', () => {
  it('runs the argv in the scenario folder, captures stdout and stderr, and says it succeeded', async () => {
    const r = await runner({
      crash: node(
        "process.stdout.write('out ' + process.cwd() + '\\n'); process.stderr.write('err ' + process.env.IDEM_AUDIT_HOOK)",
      ),
    }).run('crash');
    expect(r).toMatchObject({ hook: 'crash', ok: true, exitCode: 0, timedOut: false, purpose: 'attack' });
    expect(r.error).toBeUndefined();
    expect(r.output).toContain(`out ${work}`);
    expect(r.output).toContain('err crash');
    expect(r.command).toContain(process.execPath);
  });

  it('reports a failing command with its exit code and output, never as an exception', async () => {
    const r = await runner({ storeDown: node("console.error('no such container'); process.exit(3)") }).run('storeDown');
    expect(r).toMatchObject({ ok: false, exitCode: 3, timedOut: false });
    expect(r.output).toContain('no such container');
  });

  it('reports a missing program as command not found', async () => {
    const r = await runner({
      restart: { argv: ['idem-audit-no-such-program', 'x'], shell: false, timeoutMs: 5_000, cwd: work },
    }).run('restart');
    expect(r).toMatchObject({ ok: false, error: 'command not found: idem-audit-no-such-program' });
  });

  it('ends a command that hangs at its timeout, with everything it started, in bounded time', async () => {
    const pidFile = join(work, 'grandchild.pid');
    // The hook starts a grandchild that ignores SIGTERM, then hangs itself.
    const script = `const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
      process.on('SIGTERM', () => {});
      setInterval(() => {}, 1000);`;
    const t0 = Date.now();
    const r = await runner({ ready: node(script, 600) }).run('ready');
    const elapsed = Date.now() - t0;
    expect(r).toMatchObject({ ok: false, timedOut: true, error: 'timed out after 600 ms' });
    expect(elapsed).toBeLessThan(600 + 2_000 + 2_000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    // SIGKILL to the group: give the kernel a moment to reap it.
    for (let i = 0; i < 50 && alive(grandchild); i++) await new Promise((res) => setTimeout(res, 20));
    expect(alive(grandchild)).toBe(false);
  }, 15_000);

  it('does not wait for a background process the command left holding its output', async () => {
    const t0 = Date.now();
    const r = await runner({
      restart: { argv: ['/bin/sh', '-c', 'echo started; sleep 3 &'], shell: true, timeoutMs: 10_000, cwd: work },
    }).run('restart');
    expect(r.ok).toBe(true);
    expect(r.output).toContain('started');
    expect(Date.now() - t0).toBeLessThan(2_500);
  });

  it('keeps the beginning and the end of a flood of output, within the cap', async () => {
    const r = await runner({ crash: node("process.stdout.write('HEAD' + 'x'.repeat(1_000_000) + 'TAIL')") }, 1024).run(
      'crash',
    );
    expect(r.ok).toBe(true);
    expect(r.outputBytes).toBe(1_000_008);
    expect(r.output.startsWith('HEAD')).toBe(true);
    expect(r.output.endsWith('TAIL')).toBe(true);
    expect(r.output).toContain('bytes not kept');
    expect(r.output.length).toBeLessThan(1024 + 100);
  });

  it('redacts secrets in the command and in the output', async () => {
    const r = await runner({ storeUp: node("console.log('token is s3cr3t-token')  // s3cr3t-token") }).run('storeUp');
    expect(r.output).toContain('token is [REDACTED]');
    expect(r.command).not.toContain('s3cr3t-token');
    expect(JSON.stringify(r)).not.toContain('s3cr3t-token');
  });

  it('runs a shell hook through /bin/sh and shows its script as the command', async () => {
    const spec: HookSpec = { argv: ['/bin/sh', '-c', 'echo a && echo b'], shell: true, timeoutMs: 5_000, cwd: work };
    const r = await runner({ ready: spec }).run('ready');
    expect(r.ok).toBe(true);
    expect(r.output).toBe('a\nb\n');
    expect(commandLine(spec)).toBe('echo a && echo b');
    expect(commandLine({ ...spec, shell: false, argv: ['kubectl', 'delete', 'pod', '-l', 'app=pay ments'] })).toBe(
      "kubectl delete pod -l 'app=pay ments'",
    );
  });

  it('says what an undeclared hook is instead of running anything', async () => {
    const r = await runner({}).run('crash');
    expect(r).toMatchObject({ ok: false, error: 'the scenario declares no crash hook' });
  });

  describe('restore', () => {
    const log = join(work, 'restore.log');
    const append = (word: string, exit = 0): HookSpec =>
      node(`require('node:fs').appendFileSync(${JSON.stringify(log)}, '${word}\\n'); process.exit(${exit})`);

    it('brings back what storeDown and crash broke, store first, then restart and ready; a failed restore stays pending', async () => {
      rmSync(log, { force: true });
      let storeUpExit = 1;
      const specs: Partial<Record<HookName, HookSpec>> = {
        crash: append('crash'),
        storeDown: append('storeDown', 2), // fails half-way: the store may be down all the same
        storeUp: append('storeUp', storeUpExit),
        restart: append('restart'),
        ready: append('ready'),
      };
      const h = runner(specs);
      expect(h.pending()).toEqual([]);
      await h.run('storeDown');
      await h.run('crash');
      expect(h.pending()).toEqual(['storeUp', 'restart']);
      const first = await h.restore();
      expect(first.map((r) => `${r.hook}:${r.ok}:${r.purpose}`)).toEqual([
        'storeUp:false:restore',
        'restart:true:restore',
        'ready:true:restore',
      ]);
      expect(h.pending()).toEqual(['storeUp']);
      storeUpExit = 0;
      specs.storeUp = append('storeUp', storeUpExit);
      const again = runner(specs);
      await again.run('storeDown');
      expect((await again.restore()).map((r) => r.hook)).toEqual(['storeUp']);
      expect(again.pending()).toEqual([]);
      expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
        'storeDown',
        'crash',
        'storeUp',
        'restart',
        'ready',
        'storeDown',
        'storeUp',
      ]);
    });

    it('restores synchronously for a process that is exiting', () => {
      rmSync(log, { force: true });
      const h = runner({ crash: append('crash'), restart: append('restart'), ready: append('ready') });
      void h.run('crash');
      const runs = h.restoreSync();
      expect(runs.map((r) => `${r.hook}:${r.ok}`)).toEqual(['restart:true', 'ready:true']);
      expect(h.pending()).toEqual([]);
      expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toContain('restart\nready\n');
    });
  });
});
