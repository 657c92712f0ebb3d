/**
 * One of a run's parallel audit lanes, as the engine sees it: the identity that holds the traffic
 * gate (a lane's requests never wait for its own exclusive section), its own stop and in-flight
 * signals, and the requests it has sent. The signals follow the run's through one listener each,
 * so the listeners a lane's waits and requests add stay on the lane's signals: a run's signals
 * carry one per lane, not one per request in flight across every lane.
 */
export class Lane {
  /** Requests this lane has sent (each counted against the run's budget when it was dispatched). */
  requests = 0;
  readonly #unfollow: () => void;

  private constructor(
    readonly id: number,
    readonly stop: AbortSignal | undefined,
    readonly inflight: AbortSignal | undefined,
    unfollow: () => void = () => undefined,
  ) {
    this.#unfollow = unfollow;
  }

  /** A lane that uses the given signals as they are (a caller with a single lane). */
  static sharing(id: number, stop: AbortSignal | undefined, inflight: AbortSignal | undefined): Lane {
    return new Lane(id, stop, inflight);
  }

  /** A lane whose own signals abort when the run's do. */
  static following(id: number, stop: AbortSignal, inflight: AbortSignal): Lane {
    const ownStop = new AbortController();
    const ownInflight = new AbortController();
    const onStop = (): void => ownStop.abort();
    const onInflight = (): void => ownInflight.abort();
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
    if (inflight.aborted) onInflight();
    else inflight.addEventListener('abort', onInflight, { once: true });
    return new Lane(id, ownStop.signal, ownInflight.signal, () => {
      stop.removeEventListener('abort', onStop);
      inflight.removeEventListener('abort', onInflight);
    });
  }

  /** Stops following the run's signals (the lane's work is over). */
  dispose(): void {
    this.#unfollow();
  }
}
