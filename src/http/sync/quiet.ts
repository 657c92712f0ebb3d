/**
 * Pacing for the HTTP/1.1 release modes. A target that is still busy (parsing the withheld
 * prefixes, accepting the connections, answering the previous round's observer query) reacts to
 * the first released request at once and finishes it before the others arrive: the burst can then
 * lose to plain concurrent requests. A quiet period lets the target go idle first. Measured on the
 * demo's one-tick race (B1, bursts of 20 alternated in one run, load average 6-11): last-byte
 * without pauses 108/120 exposed, with 10 ms 116/120; barrier 49/100 without, 76/100 with 10 ms.
 * 10 against 20 ms, over six alternated runs: 516/560 and 527/560, a difference within the noise
 * but never a loss overall; 20 ms is also where the issue's own one-run comparisons peaked (0 ms
 * 18-27/40, 5 ms 34, 20 ms 35-38, 50 ms 33-39). Every round pays the pause twice.
 */
/** Default quiet period for last-byte and barrier bursts, in ms. */
export const DEFAULT_QUIET_MS = 20;
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
