/**
 * A readers–writer gate over the target, shared by a run's parallel lanes. Ordinary requests take
 * a shared slot for as long as they are on the wire; timing-dependent work (a burst, a faulted
 * send, a race an attack spans over several sends) takes the exclusive one, which waits until
 * every shared request in flight has answered and then keeps the other lanes' requests waiting
 * until it is over. A lane's own requests never wait for its own exclusive section, and sections
 * nest. Waiters are served first come, first served, so a burst is never starved by a stream of
 * ordinary requests and those are never starved by bursts.
 */
import { InterruptedError } from '../errors/errors.js';

/** Hands a slot back; calling it again does nothing. */
export type Release = () => void;

interface Waiter {
  readonly kind: 'shared' | 'exclusive';
  readonly holder: object;
  readonly grant: () => void;
}

export class TrafficGate {
  #exclusive: { holder: object; depth: number } | undefined;
  /** Shared slots held, by every holder (the exclusive holder's own requests included). */
  #shared = 0;
  readonly #queue: Waiter[] = [];

  /** Requests on the wire under shared slots. */
  get sharedInFlight(): number {
    return this.#shared;
  }

  /** Who holds the exclusive slot, if anyone. */
  get exclusiveHolder(): object | undefined {
    return this.#exclusive?.holder;
  }

  /**
   * A shared slot at once when nobody else holds or awaits the exclusive one; undefined when the
   * caller has to wait (then call `shared`). Saves a turn of the event loop per request.
   */
  tryShared(holder: object): Release | undefined {
    const ex = this.#exclusive;
    if (ex ? ex.holder !== holder : this.#queue.length > 0) return undefined;
    this.#shared++;
    return this.#releaseShared();
  }

  /** Waits for a shared slot; rejects with InterruptedError when `stop` aborts first. */
  shared(holder: object, stop?: AbortSignal): Promise<Release> {
    const now = this.tryShared(holder);
    if (now) return Promise.resolve(now);
    return this.#wait('shared', holder, stop, () => {
      this.#shared++;
      return this.#releaseShared();
    });
  }

  /**
   * Waits for the exclusive slot: no other holder's request is in flight or may start until it is
   * released. Re-entrant for its holder. Rejects with InterruptedError when `stop` aborts first.
   */
  exclusive(holder: object, stop?: AbortSignal): Promise<Release> {
    const ex = this.#exclusive;
    if (ex?.holder === holder) {
      ex.depth++;
      return Promise.resolve(this.#releaseExclusive(ex));
    }
    if (!ex && this.#shared === 0 && this.#queue.length === 0) return Promise.resolve(this.#takeExclusive(holder));
    return this.#wait('exclusive', holder, stop, () => {
      const held = this.#exclusive;
      if (held) {
        held.depth++;
        return this.#releaseExclusive(held);
      }
      return this.#takeExclusive(holder);
    });
  }

  #takeExclusive(holder: object): Release {
    const ex = { holder, depth: 1 };
    this.#exclusive = ex;
    return this.#releaseExclusive(ex);
  }

  #releaseShared(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#shared--;
      this.#pump();
    };
  }

  #releaseExclusive(ex: { holder: object; depth: number }): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      ex.depth--;
      if (ex.depth === 0 && this.#exclusive === ex) this.#exclusive = undefined;
      this.#pump();
    };
  }

  #wait(kind: Waiter['kind'], holder: object, stop: AbortSignal | undefined, take: () => Release): Promise<Release> {
    if (stop?.aborted) return Promise.reject(new InterruptedError());
    return new Promise<Release>((resolve, reject) => {
      const onStop = (): void => {
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(new InterruptedError());
        // A waiter leaving the head may let the ones behind it through.
        this.#pump();
      };
      const waiter: Waiter = {
        kind,
        holder,
        grant: () => {
          stop?.removeEventListener('abort', onStop);
          resolve(take());
        },
      };
      this.#queue.push(waiter);
      stop?.addEventListener('abort', onStop, { once: true });
    });
  }

  /** Grants whatever the state now allows, in arrival order. */
  #pump(): void {
    const ex = this.#exclusive;
    if (ex) {
      // The holder's own requests queued before its section began (e.g. sent alongside the burst).
      for (let i = 0; i < this.#queue.length;) {
        const w = this.#queue[i] as Waiter;
        if (w.holder !== ex.holder) i++;
        else {
          this.#queue.splice(i, 1);
          w.grant();
        }
      }
      return;
    }
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Waiter;
      if (head.kind === 'shared') {
        this.#queue.shift();
        head.grant();
        continue;
      }
      if (this.#shared > 0) return;
      this.#queue.shift();
      head.grant();
      // Now held: serve the new holder's other waiters.
      this.#pump();
      return;
    }
  }
}
