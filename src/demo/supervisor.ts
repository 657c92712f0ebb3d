/**
 * Runs a demo target in a child process that can be killed and brought back: start (wait for the
 * line that says where it listens), crash (SIGKILL: no goodbye, no cleanup, what a kernel OOM kill
 * or `kubectl delete pod --force` does), restart on the same ports, stop. Every wait is bounded.
 * The target is out of the caller's event loop, so a busy auditor cannot slow it and a crash of
 * one is no crash of the other. The child gets its stdin as a lifeline (child.ts stops when it
 * closes): a supervisor that dies takes its target with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** `demo target listening on http://127.0.0.1:40001, http://127.0.0.1:40002 (…)`: what child.ts and serve-demo print. */
const READY = /listening on (\S+(?:, \S+)*) \(/;
const KILL_WAIT_MS = 5_000;
const STOP_GRACE_MS = 3_000;
/** A port just freed by a killed child can still be taken for a moment: a few more tries. */
const START_ATTEMPTS = 3;

export interface SupervisorOptions {
  /** Program and arguments of the target, for the ports it must listen on (undefined: any free ones). */
  command(ports: readonly number[] | undefined): readonly string[];
  /** Longest wait for the ready line. Default 30 s. */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export class SupervisorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupervisorError';
  }
}

export class DemoSupervisor {
  readonly #o: SupervisorOptions;
  #child: ChildProcess | undefined;
  #urls: readonly string[] = [];
  #exited: Promise<void> = Promise.resolve();
  readonly #killOnExit = (): void => {
    this.#child?.kill('SIGKILL');
  };

  constructor(o: SupervisorOptions) {
    this.#o = o;
  }

  /** Where the target listens (one URL per node), from its last start. */
  get urls(): readonly string[] {
    return this.#urls;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the target on any free ports; resolves with its URLs once it listens. */
  start(): Promise<readonly string[]> {
    if (this.#child) return Promise.resolve(this.#urls);
    return this.#spawn(undefined);
  }

  /** Kills the target at once (SIGKILL) and waits until it is gone. */
  async crash(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await bounded(
      this.#exited,
      KILL_WAIT_MS,
      `the demo target (pid ${child.pid ?? '?'}) did not die within ${KILL_WAIT_MS} ms of SIGKILL`,
    );
  }

  /** Starts the target again on the ports it had (killing it first if it still runs). */
  async restart(): Promise<readonly string[]> {
    if (this.#child) await this.crash();
    const ports = this.#urls.map((u) => Number(new URL(u).port));
    return this.#spawn(ports.length > 0 ? ports : undefined);
  }

  /** Stops the target (SIGTERM, then SIGKILL if it lingers). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child) {
      child.kill('SIGTERM');
      const gone = await bounded(this.#exited, STOP_GRACE_MS).then(
        () => true,
        () => false,
      );
      if (!gone) await this.crash();
    }
    process.off('exit', this.#killOnExit);
  }

  async #spawn(ports: readonly number[] | undefined): Promise<readonly string[]> {
    let last: unknown;
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        return await this.#spawnOnce(ports);
      } catch (err) {
        last = err;
        if (ports === undefined || !(err instanceof SupervisorError) || !/EADDRINUSE/.test(err.message)) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    throw last instanceof Error ? last : new SupervisorError(String(last));
  }

  #spawnOnce(ports: readonly number[] | undefined): Promise<readonly string[]> {
    const [program = '', ...args] = this.#o.command(ports);
    const timeoutMs = this.#o.startTimeoutMs ?? 30_000;
    const child = spawn(program, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: this.#o.env ?? process.env,
      windowsHide: true,
    });
    this.#child = child;
    // One listener for the supervisor's whole life, however often it restarts its child.
    process.off('exit', this.#killOnExit);
    process.on('exit', this.#killOnExit);
    let stdout = '';
    let stderr = '';
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    child.stdin?.on('error', () => undefined);
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-4_096);
    });
    return new Promise<readonly string[]>((resolve, reject) => {
      let ready = false;
      const fail = (message: string): void => {
        if (ready) return;
        ready = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        // Rejected once the child is gone, so the caller never sees a half-dead target as running.
        const error = new SupervisorError(`${message}${stderr.trim() === '' ? '' : `: ${stderr.trim()}`}`);
        if (child.pid === undefined) {
          // It never started (ENOENT): there is no exit to wait for.
          if (this.#child === child) this.#child = undefined;
          reject(error);
          return;
        }
        bounded(this.#exited, KILL_WAIT_MS).then(
          () => reject(error),
          () => reject(error),
        );
      };
      const timer = setTimeout(() => fail(`the demo target printed no address within ${timeoutMs} ms`), timeoutMs);
      child.once('error', (err) => fail(`cannot start the demo target (${program}): ${err.message}`));
      child.once('exit', (code, signal) =>
        fail(`the demo target exited (${signal ?? `code ${code ?? '?'}`}) before it listened`),
      );
      const onData = (c: Buffer): void => {
        stdout = (stdout + c.toString('utf8')).slice(-4_096);
        const m = READY.exec(stdout);
        if (!m?.[1]) return;
        clearTimeout(timer);
        ready = true;
        // Keep reading so a chatty target never blocks on a full pipe.
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        this.#urls = m[1].split(', ');
        resolve(this.#urls);
      };
      child.stdout?.on('data', onData);
    });
  }
}

function bounded(p: Promise<void>, ms: number, message = `no end within ${ms} ms`): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new SupervisorError(message)), ms);
    p.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
