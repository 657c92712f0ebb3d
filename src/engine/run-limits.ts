/**
 * How a run stops early. Two signals, because stopping has two moments: `stop` ends sending at
 * once (no new request leaves), `inflight` aborts the requests already on the wire, but only
 * after a bounded grace period, since their answers are evidence worth keeping. An interruption
 * (Ctrl-C) and the whole-run deadline both go through here; only the report status differs.
 */
export interface RunLimitsOptions {
  /** The caller's interruption (Ctrl-C / SIGTERM). */
  signal: AbortSignal | undefined;
  /** How long requests in flight may still answer after a stop. */
  graceMs: number;
  /** Whole-run time limit; undefined for none. */
  deadlineMs: number | undefined;
}

export const DEFAULT_INTERRUPT_GRACE_MS = 2_000;

export class RunLimits {
  readonly #stop = new AbortController();
  readonly #inflight = new AbortController();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #graceMs: number;
  readonly #onSignal: () => void;
  readonly #signal: AbortSignal | undefined;
  #deadlineMs: number | undefined;
  #deadlineReached = false;

  constructor(o: RunLimitsOptions) {
    this.#graceMs = o.graceMs;
    this.#signal = o.signal;
    this.#onSignal = () => this.#halt();
    if (o.signal?.aborted) this.#halt();
    else o.signal?.addEventListener('abort', this.#onSignal, { once: true });
    if (o.deadlineMs !== undefined) {
      const ms = o.deadlineMs;
      this.#timers.push(
        setTimeout(() => {
          this.#deadlineMs = ms;
          this.#deadlineReached = true;
          this.#halt();
        }, ms),
      );
    }
  }

  /** Aborted the moment the run must stop sending. */
  get stop(): AbortSignal {
    return this.#stop.signal;
  }

  /** Aborted when requests still in flight must be cut off. */
  get inflight(): AbortSignal {
    return this.#inflight.signal;
  }

  /** The deadline, not the user, stopped the run. */
  get deadlineReached(): boolean {
    return this.#deadlineReached && !(this.#signal?.aborted ?? false);
  }

  get deadlineMessage(): string {
    return `the run deadline of ${this.#deadlineMs ?? 0} ms was reached; what was observed until then is reported`;
  }

  /** Aborts the run from inside (a caller-level stop that is neither Ctrl-C nor the deadline). */
  abort(): void {
    this.#halt();
  }

  dispose(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#signal?.removeEventListener('abort', this.#onSignal);
  }

  #halt(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#timers.push(setTimeout(() => this.#inflight.abort(), this.#graceMs));
  }
}
