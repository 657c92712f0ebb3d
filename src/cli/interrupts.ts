/**
 * Ctrl-C and SIGTERM for the commands that audit (run, demo, verify): the first stops the run,
 * which writes a partial report and exits 130; a second one exits at once.
 */
import type { CliIo } from './io.js';

export interface Interrupts {
  /** Aborted on the first Ctrl-C or SIGTERM. */
  signal: AbortSignal;
  /** Stops listening (the command is done). */
  dispose(): void;
}

/** `hooks`: the run may have to bring back a store or a target its hooks took away before it ends. */
export function listenForInterrupts(io: CliIo, o: { hooks?: boolean } = {}): Interrupts {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    const hooks = o.hooks === true;
    io.stderr(
      `\ninterrupting: finishing requests in flight${hooks ? ', bringing back the store and the target if a hook took them away,' : ''} and writing a partial report (Ctrl-C again to quit now${hooks ? '; pending storeUp/restart hooks still run first' : ''})\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
