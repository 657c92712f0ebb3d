/**
 * Pacing for the HTTP/1.1 release modes. A target that is still busy (parsing the withheld
 * prefixes, accepting the connections, answering the previous round's observer query) reacts to
 * the first released request at once and finishes it before the others arrive: the burst can then
 * lose to plain concurrent requests. A quiet period lets the target go idle first. Measured on the
 * demo's one-tick race (B1, bursts of 20 alternated in one run, load average 9): last-byte without
 * pauses 108/120 exposed, with 10 ms 116/120, 20 ms 115/120; barrier 49/100 without, 76/100 with
 * 10 ms. Longer pauses measured no better, and every round pays them twice.
 */
/** Default quiet period for last-byte and barrier bursts, in ms. */
export const DEFAULT_QUIET_MS = 10;
/** Upper bound of the scenario option: longer pauses measured no better and slow every round. */
export const MAX_QUIET_MS = 1_000;

/**
 * Waits `ms`, ending early when one of `signals` aborts or `settled` resolves (every request of
 * the burst has already failed, e.g. its deadline passed during the pause): the pause is never what
 * holds a stopped run or a dead burst.
 */
export function quietPeriod(
  ms: number,
  signals: readonly (AbortSignal | undefined)[],
  settled?: Promise<unknown>,
): Promise<void> {
  const watched = signals.filter((s): s is AbortSignal => s !== undefined);
  if (ms <= 0 || watched.some((s) => s.aborted)) return Promise.resolve();
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const s of watched) s.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    for (const s of watched) s.addEventListener('abort', finish, { once: true });
    settled?.then(finish, finish);
  });
}
