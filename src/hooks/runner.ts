/**
 * Runs the scenario's hooks: each one a child process (argv, no shell unless the scenario asked
 * for one) in its own process group, so a timeout ends the command and everything it started;
 * stdout and stderr captured up to a cap (beginning and end kept) and redacted before anyone sees
 * them. A hook that hangs, fails or cannot be found is a HookRun saying so, never an exception.
 *
 * The runner also remembers what the hooks broke: after `storeDown` the store must come up again,
 * after `crash` the target must be restarted. `restore()` runs what is pending (storeUp, then
 * restart and ready); the run calls it on its way out whatever ended it, and `restoreSync()` is
 * the same for a process that is exiting now (a second Ctrl-C), when nothing asynchronous runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { HookName, HookSpec, HookSpecs } from '../scenario/types.js';
import { PendingRestores, type Restorable } from './pending.js';
import type { HookRun } from './types.js';

/** Output kept per run: the first and the last half of this many bytes. */
const DEFAULT_OUTPUT_CAP = 16 * 1024;
/** After a timeout: SIGTERM to the group, then SIGKILL this much later. */
const KILL_GRACE_MS = 2_000;
/** After the command exited, how long its pipes may stay open (a background child holding them) before we stop reading. */
const DRAIN_MS = 250;

export interface HookRunnerOptions {
  specs: HookSpecs;
  /** Applied to the command line and the output before they are kept. */
  redact: (text: string) => string;
  outputCap?: number;
  /** The hooks' environment (default: this process's), plus IDEM_AUDIT_HOOK=<name>. */
  env?: NodeJS.ProcessEnv;
}

export class HookRunner {
  readonly #o: HookRunnerOptions;
  readonly #cap: number;
  readonly #pending = new PendingRestores();
  readonly #running = new Set<ChildProcess>();

  constructor(o: HookRunnerOptions) {
    this.#o = o;
    this.#cap = Math.max(64, o.outputCap ?? DEFAULT_OUTPUT_CAP);
  }

  declared(name: HookName): boolean {
    return this.#o.specs[name] !== undefined;
  }

  /** What must still run to leave the system as it was found, in order. */
  pending(): Restorable[] {
    return this.#pending.list();
  }

  async run(name: HookName, purpose: HookRun['purpose'] = 'attack'): Promise<HookRun> {
    this.#pending.starting(name);
    const spec = this.#o.specs[name];
    const run = spec ? await this.#exec(name, spec, purpose) : this.#undeclared(name, purpose);
    this.#settle(run);
    return run;
  }

  /** Runs what `pending()` names (and `ready` after a restart); the run calls this on every way out. */
  async restore(): Promise<HookRun[]> {
    const runs: HookRun[] = [];
    for (const name of this.pending()) {
      const r = await this.run(name, 'restore');
      runs.push(r);
      if (name === 'restart' && r.ok && this.declared('ready')) runs.push(await this.run('ready', 'restore'));
    }
    return runs;
  }

  /**
   * `restore()` for a process that is exiting: kills hooks still running (their groups), then runs
   * the pending ones synchronously, each within its timeout.
   */
  restoreSync(): HookRun[] {
    this.killAll();
    const runs: HookRun[] = [];
    for (const name of this.pending()) {
      const r = this.#runSync(name);
      runs.push(r);
      if (name === 'restart' && r.ok && this.declared('ready')) runs.push(this.#runSync('ready'));
    }
    return runs;
  }

  /** Ends every hook still running, with whatever it started. */
  killAll(): void {
    for (const child of this.#running) killGroup(child, 'SIGKILL');
    this.#running.clear();
  }

  #runSync(name: HookName): HookRun {
    this.#pending.starting(name);
    const spec = this.#o.specs[name];
    if (!spec) {
      const r = this.#undeclared(name, 'restore');
      this.#settle(r);
      return r;
    }
    const t0 = performance.now();
    const [program = '', ...args] = spec.argv;
    const r = spawnSync(program, args, {
      cwd: spec.cwd,
      env: this.#env(name),
      timeout: spec.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: this.#cap * 64,
      windowsHide: true,
    });
    const out = Buffer.concat([r.stdout ?? Buffer.alloc(0), r.stderr ?? Buffer.alloc(0)]);
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    const timedOut = code === 'ETIMEDOUT';
    const error = timedOut
      ? `timed out after ${spec.timeoutMs} ms`
      : code === 'ENOBUFS'
        ? `stopped after more than ${this.#cap * 64} bytes of output`
        : r.error
          ? startError(program, r.error)
          : undefined;
    const run = this.#result(name, spec, 'restore', {
      exitCode: r.status,
      signal: r.signal,
      timedOut,
      error,
      durationMs: performance.now() - t0,
      output: capped(out, this.#cap),
      outputBytes: out.length,
    });
    this.#settle(run);
    return run;
  }

  #exec(name: HookName, spec: HookSpec, purpose: HookRun['purpose']): Promise<HookRun> {
    const [program = '', ...args] = spec.argv;
    const t0 = performance.now();
    const output = new CappedOutput(this.#cap);
    return new Promise<HookRun>((resolve) => {
      let child: ChildProcess;
      try {
        // Its own process group: a timeout kills what the command started too, and the terminal's
        // Ctrl-C does not reach it (a restore must not be cut off by the interruption it follows).
        child = spawn(program, args, {
          cwd: spec.cwd,
          env: this.#env(name),
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
          windowsHide: true,
        });
      } catch (err) {
        resolve(this.#failedToStart(name, spec, purpose, program, err, t0));
        return;
      }
      this.#running.add(child);
      let timedOut = false;
      let startError: unknown;
      let exit: { code: number | null; signal: string | null } | undefined;
      const timers: NodeJS.Timeout[] = [];
      const finish = (): void => {
        for (const t of timers) clearTimeout(t);
        // Whatever a timed-out command left running goes with it.
        if (timedOut) killGroup(child, 'SIGKILL');
        this.#running.delete(child);
        child.stdout?.destroy();
        child.stderr?.destroy();
        if (startError !== undefined && exit === undefined) {
          resolve(this.#failedToStart(name, spec, purpose, program, startError, t0));
          return;
        }
        resolve(
          this.#result(name, spec, purpose, {
            exitCode: exit?.code ?? null,
            signal: exit?.signal ?? null,
            timedOut,
            error: timedOut ? `timed out after ${spec.timeoutMs} ms` : undefined,
            durationMs: performance.now() - t0,
            output: output.text(),
            outputBytes: output.bytes,
          }),
        );
      };
      let done = false;
      const once = (): void => {
        if (done) return;
        done = true;
        finish();
      };
      child.stdout?.on('data', (c: Buffer) => output.add(c));
      child.stderr?.on('data', (c: Buffer) => output.add(c));
      child.on('error', (err) => {
        startError = err;
        // A spawn error (ENOENT, EACCES) comes without an exit event.
        if (child.pid === undefined) once();
      });
      child.on('close', once);
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        // A background process the command left behind may hold its pipes open: stop reading soon.
        timers.push(setTimeout(once, DRAIN_MS));
      });
      timers.push(
        setTimeout(() => {
          timedOut = true;
          killGroup(child, 'SIGTERM');
          timers.push(
            setTimeout(() => {
              killGroup(child, 'SIGKILL');
              // Whatever the process does now, the run goes on: the result says it timed out.
              timers.push(setTimeout(once, DRAIN_MS));
            }, KILL_GRACE_MS),
          );
        }, spec.timeoutMs),
      );
    });
  }

  #env(name: HookName): NodeJS.ProcessEnv {
    return { ...(this.#o.env ?? process.env), IDEM_AUDIT_HOOK: name };
  }

  #settle(run: HookRun): void {
    this.#pending.finished(run.hook, run.ok);
  }

  #undeclared(name: HookName, purpose: HookRun['purpose']): HookRun {
    return {
      hook: name,
      command: '(none)',
      ok: false,
      exitCode: null,
      signal: null,
      timedOut: false,
      error: `the scenario declares no ${name} hook`,
      durationMs: 0,
      output: '',
      outputBytes: 0,
      purpose,
    };
  }

  #failedToStart(
    name: HookName,
    spec: HookSpec,
    purpose: HookRun['purpose'],
    program: string,
    err: unknown,
    t0: number,
  ): HookRun {
    return this.#result(name, spec, purpose, {
      exitCode: null,
      signal: null,
      timedOut: false,
      error: startError(program, err),
      durationMs: performance.now() - t0,
      output: '',
      outputBytes: 0,
    });
  }

  #result(
    name: HookName,
    spec: HookSpec,
    purpose: HookRun['purpose'],
    r: Omit<HookRun, 'hook' | 'command' | 'ok' | 'purpose' | 'error'> & { error: string | undefined },
  ): HookRun {
    const red = this.#o.redact;
    const run: HookRun = {
      hook: name,
      command: red(commandLine(spec)),
      ok: r.error === undefined && !r.timedOut && r.exitCode === 0,
      exitCode: r.exitCode,
      signal: r.signal,
      timedOut: r.timedOut,
      durationMs: Math.round(r.durationMs),
      output: red(r.output),
      outputBytes: r.outputBytes,
      purpose,
    };
    if (r.error !== undefined) run.error = red(r.error);
    return run;
  }
}

/** The command as a person would type it: the script for a shell hook, else the argv quoted where needed. */
export function commandLine(spec: HookSpec): string {
  if (spec.shell) return spec.argv[2] ?? '';
  return spec.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function startError(program: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `command not found: ${program}`;
  if (code === 'EACCES') return `not executable: ${program}`;
  return `could not start ${program}: ${err instanceof Error ? err.message : String(err)}`;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already (ESRCH), or was never made: the child alone, then.
    try {
      child.kill(signal);
    } catch {
      // Gone.
    }
  }
}

/** The first and the last half of the cap; what lies between is counted, not kept. */
class CappedOutput {
  readonly #half: number;
  #head = Buffer.alloc(0);
  #tail: Buffer[] = [];
  #tailBytes = 0;
  bytes = 0;

  constructor(cap: number) {
    this.#half = Math.floor(cap / 2);
  }

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    let rest = chunk;
    if (this.#head.length < this.#half) {
      const take = Math.min(this.#half - this.#head.length, rest.length);
      this.#head = Buffer.concat([this.#head, rest.subarray(0, take)]);
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    this.#tail.push(rest);
    this.#tailBytes += rest.length;
    while (this.#tailBytes - (this.#tail[0]?.length ?? 0) >= this.#half) {
      this.#tailBytes -= this.#tail.shift()?.length ?? 0;
    }
  }

  text(): string {
    const tail = Buffer.concat(this.#tail);
    const kept = tail.subarray(Math.max(0, tail.length - this.#half));
    const skipped = this.bytes - this.#head.length - kept.length;
    if (skipped <= 0) return Buffer.concat([this.#head, kept]).toString('utf8');
    return `${this.#head.toString('utf8')}\n[… ${skipped} bytes not kept …]\n${kept.toString('utf8')}`;
  }
}

function capped(out: Buffer, cap: number): string {
  const c = new CappedOutput(cap);
  c.add(out);
  return c.text();
}
