/**
 * Fans one run out to its reporters. Every event goes to every reporter at once, in the order it
 * happened and in the order the reporters were given, so the event log keeps the run's order. A
 * reporter that throws is cut off from further events but not from the run: the others go on
 * and write their outputs, and only then does `end` fail, naming each reporter that could not
 * write, so a broken output is never a silent success.
 */
import type { RunEvent } from '../result/events.js';
import type { AuditResult } from '../result/result.js';
import { IdemAuditError } from '../errors/errors.js';
import type { Reporter, ReporterContext, ReporterDefinition } from './types.js';

export interface ReporterRun {
  /** Hands one event to every reporter (the engine's onEvent). Never throws. */
  emit(event: RunEvent): void;
  /** Some reporter listens to exchanges (a merge need not read the shards' logs otherwise). */
  readonly wantsExchanges: boolean;
  /**
   * Waits for what reporters still have pending, gives each the result in turn and waits until
   * it has written; then throws IDEM_REPORT_WRITE_FAILED if any reporter failed during the run.
   */
  end(result: AuditResult, exitCode: number): Promise<void>;
  /** The run failed without a result: lets each reporter release what it holds. Never throws; no-op after end(). */
  abort(): Promise<void>;
}

interface Slot {
  definition: ReporterDefinition;
  reporter: Reporter | undefined;
  failed: { error: unknown } | undefined;
}

export function runReporters(definitions: readonly ReporterDefinition[], ctx: ReporterContext): ReporterRun {
  const slots: Slot[] = definitions.map((definition) => {
    try {
      return { definition, reporter: definition.create(ctx), failed: undefined };
    } catch (error) {
      return { definition, reporter: undefined, failed: { error } };
    }
  });
  // Promises returned by hooks during the run: never awaited there (the audit must not wait on a
  // reporter), always before run end.
  const pending = new Set<Promise<void>>();
  let over = false;

  const call = (slot: Slot, hook: (r: Reporter) => void | Promise<void>): void => {
    if (!slot.reporter || slot.failed) return;
    try {
      const returned = hook(slot.reporter);
      if (returned instanceof Promise) {
        const tracked: Promise<void> = returned.then(
          () => void pending.delete(tracked),
          (error: unknown) => {
            slot.failed ??= { error };
            pending.delete(tracked);
          },
        );
        pending.add(tracked);
      }
    } catch (error) {
      slot.failed = { error };
    }
  };
  const each = (hook: (r: Reporter) => void | Promise<void>): void => {
    if (over) return;
    for (const slot of slots) call(slot, hook);
  };
  const settle = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending]);
  };

  return {
    emit(event) {
      switch (event.type) {
        case 'run-start':
          return each((r) => r.onRunStart?.(event));
        case 'attack-start':
          return each((r) => r.onAttackStart?.(event));
        case 'exchange':
          return each((r) => r.onExchange?.(event.exchange));
        case 'finding':
          return each((r) => r.onFinding?.(event.finding));
        case 'attack-end':
          return each((r) => r.onAttackEnd?.(event.result));
        case 'run-end':
          // The end reaches reporters through end(), with the final result and exit code.
          return;
      }
    },
    wantsExchanges: slots.some((s) => s.reporter?.onExchange !== undefined),
    async end(result, exitCode) {
      if (over) return;
      over = true;
      await settle();
      const failedDuringRun = slots.filter((s) => s.failed !== undefined);
      for (const slot of slots) {
        if (!slot.reporter || slot.failed) continue;
        try {
          await slot.reporter.onRunEnd?.(result, exitCode);
        } catch (error) {
          slot.failed = { error };
        }
      }
      // What a reporter that failed mid-run holds (a stream, a progress line) is still released.
      for (const slot of failedDuringRun) await release(slot);
      const failures = slots.filter((s) => s.failed !== undefined);
      if (failures.length > 0) throw writeFailed(failures);
    },
    async abort() {
      if (over) return;
      over = true;
      await settle();
      for (const slot of slots) await release(slot);
    },
  };
}

async function release(slot: Slot): Promise<void> {
  try {
    await slot.reporter?.onRunFailed?.();
  } catch {
    // Nothing more to do for a reporter that cannot even let go: its error is reported already, or the run's is.
  }
}

function writeFailed(failures: readonly Slot[]): IdemAuditError {
  const lines = failures.map(({ definition, failed }) => {
    const error = failed?.error;
    const why = error instanceof Error ? error.message : String(error);
    return `cannot write ${definition.meta.destination} (${definition.meta.id} reporter): ${why}`;
  });
  return new IdemAuditError('IDEM_REPORT_WRITE_FAILED', lines.join('; '), undefined, {
    cause: failures[0]?.failed?.error,
  });
}
