/**
 * The fake context's world around the target, for attacks that use the scenario's hooks: whether
 * the target process runs, which boot it is on, whether its key store answers, and the work in
 * flight that a crash kills. The fake's hooks act on it the way real ones act on a staging system
 * (crash: the process is gone and every request in it dies; restart: a new boot; storeDown /
 * storeUp: the store goes away and comes back); a target reads it through `env.system`.
 *
 * Time is the fake's virtual clock: `work(ms)` ends when the clock passes its end (an attack's
 * `ctx.sleep`), when a crash kills it, or, when neither happens before the attack next yields to
 * the event loop, as done (nothing in the fake world waits for real time).
 */
import type { HookName } from '../scenario/types.js';
import type { HookControl, HookRun } from '../hooks/types.js';
import { PendingRestores } from '../hooks/pending.js';

export type WorkEnd = 'done' | 'killed';

export class FakeSystem {
  /** The target process is running; false between a crash and a restart (connections are refused). */
  up = true;
  /** The key store answers; false between storeDown and storeUp. */
  storeUp = true;
  /** 1 at first, +1 per restart: what a process keeps in memory belongs to one boot. */
  boot = 1;
  /** 1 at first, +1 each time the store comes back: what a store without persistence keeps belongs to one epoch. */
  storeEpoch = 1;
  readonly #now: () => number;
  readonly #work = new Set<{ end: number; settle: (e: WorkEnd) => void }>();

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Work of the target's that takes `ms` virtual ms: 'killed' when the process crashes first. */
  work(ms: number): Promise<WorkEnd> {
    if (!this.up) return Promise.resolve('killed');
    return new Promise((resolve) => {
      const entry = {
        end: this.#now() + Math.max(0, ms),
        settle: (e: WorkEnd): void => {
          if (!this.#work.delete(entry)) return;
          resolve(e);
        },
      };
      this.#work.add(entry);
      // Nothing else will end it in the fake world: done once the attack has had its turn.
      setImmediate(() => entry.settle('done'));
    });
  }

  /** The clock moved: work that has ended by now is done. */
  advanced(): void {
    for (const w of [...this.#work]) if (w.end <= this.#now()) w.settle('done');
  }

  /** The process dies: every request in it with it. A target may call this itself (it died with its store). */
  crash(): void {
    this.up = false;
    for (const w of [...this.#work]) w.settle('killed');
  }

  restart(): void {
    if (this.up) this.crash();
    this.up = true;
    this.boot += 1;
  }

  takeStoreDown(): void {
    this.storeUp = false;
  }

  bringStoreUp(): void {
    if (!this.storeUp) this.storeEpoch += 1;
    this.storeUp = true;
  }
}

/**
 * What a declared fake hook does: `'ok'` exits 0 and does what its name says; otherwise it fails
 * the way described (a non-zero exit, a timeout, a missing command) and does nothing. `acts`
 * overrides whether it did its work: a crash command that killed the process and then failed
 * (`acts: true`), or one that exits 0 having done nothing (`acts: false`, the wrong pod).
 */
export type FakeHookBehaviour =
  | 'ok'
  | {
      exitCode?: number;
      timedOut?: boolean;
      /** The program does not exist (command not found). */
      missing?: boolean;
      output?: string;
      /** Virtual ms it takes (the clock moves on by it). Default 0. */
      durationMs?: number;
      acts?: boolean;
    };

export type FakeHooks = Partial<Record<HookName, FakeHookBehaviour>>;

/** The fake's `ctx.hooks`: declared hooks act on the system, and restores follow the run's rule. */
export class FakeHookControl implements HookControl {
  readonly unavailable: string | undefined;
  /** Every hook run, attack steps and restores alike, in order. */
  readonly runs: HookRun[] = [];
  readonly #hooks: FakeHooks;
  readonly #system: FakeSystem;
  readonly #advance: (ms: number) => void;
  readonly #pending = new PendingRestores();

  constructor(hooks: FakeHooks, system: FakeSystem, unavailable: string | undefined, advance: (ms: number) => void) {
    this.#hooks = hooks;
    this.#system = system;
    this.unavailable = unavailable;
    this.#advance = advance;
  }

  declared(name: HookName): boolean {
    return this.#hooks[name] !== undefined;
  }

  run(name: HookName, purpose: HookRun['purpose'] = 'attack'): Promise<HookRun> {
    const b = this.#hooks[name];
    if (this.unavailable !== undefined || b === undefined) {
      const run = this.#record(name, purpose, { error: this.unavailable ?? `the scenario declares no ${name} hook` });
      return Promise.resolve(run);
    }
    this.#pending.starting(name);
    const o = b === 'ok' ? {} : b;
    this.#advance(o.durationMs ?? 0);
    const failed = o.missing === true || o.timedOut === true || (o.exitCode ?? 0) !== 0;
    if (o.acts ?? !failed) this.#act(name);
    const run = this.#record(name, purpose, {
      exitCode: o.missing === true ? null : o.timedOut === true ? null : (o.exitCode ?? 0),
      timedOut: o.timedOut === true,
      durationMs: o.durationMs ?? 0,
      output: o.output ?? '',
      ...(o.missing === true ? { error: `command not found: fake-${name}` } : {}),
      ...(o.timedOut === true ? { error: `timed out after ${o.durationMs ?? 0} ms` } : {}),
    });
    this.#pending.finished(name, run.ok);
    return Promise.resolve(run);
  }

  /** What the run does after the attack: storeUp, then restart (and ready), for whatever is still broken. */
  async restore(): Promise<void> {
    for (const name of this.#pending.list()) {
      const r = await this.run(name, 'restore');
      if (name === 'restart' && r.ok && this.declared('ready')) await this.run('ready', 'restore');
    }
  }

  pending(): readonly string[] {
    return this.#pending.list();
  }

  #act(name: HookName): void {
    const s = this.#system;
    if (name === 'crash') s.crash();
    else if (name === 'restart') s.restart();
    else if (name === 'storeDown') s.takeStoreDown();
    else if (name === 'storeUp') s.bringStoreUp();
  }

  #record(
    name: HookName,
    purpose: HookRun['purpose'],
    r: { exitCode?: number | null; timedOut?: boolean; durationMs?: number; output?: string; error?: string },
  ): HookRun {
    const run: HookRun = {
      hook: name,
      command: `fake-${name}`,
      ok: r.error === undefined && r.exitCode === 0,
      exitCode: r.exitCode ?? null,
      signal: null,
      timedOut: r.timedOut ?? false,
      durationMs: r.durationMs ?? 0,
      output: r.output ?? '',
      outputBytes: Buffer.byteLength(r.output ?? ''),
      purpose,
    };
    if (r.error !== undefined) run.error = r.error;
    this.runs.push(run);
    return run;
  }
}
