/**
 * events.ndjson: every event of the run, one JSON object a line, written as it happens.
 * Streaming keeps memory flat however many exchanges a campaign records, and leaves a usable
 * trail when the process dies half-way. `merge` reads these logs back for the merged HAR.
 */
import type { RunEvent } from '../result/events.js';
import type { ReporterDefinition } from './types.js';

export const EVENT_LOG_FILE = 'events.ndjson';

export const eventLogReporter: ReporterDefinition = {
  meta: {
    id: 'events',
    description:
      'Every run event (exchange, finding, attack start and end) as one JSON line, as it happens; always written.',
    destination: EVENT_LOG_FILE,
    selectable: false,
    byDefault: true,
  },
  // A merge replays logged exchanges; it has no run of its own to log.
  enabled: (env) => env.live,
  create(ctx) {
    // Opened at once: a run that fails before its first event still leaves its (empty) log.
    const out = ctx.out.openStream(EVENT_LOG_FILE);
    const log = (event: RunEvent): void => out.write(`${JSON.stringify(event)}\n`);
    return {
      onRunStart: log,
      onAttackStart: log,
      onExchange: (exchange) => log({ type: 'exchange', exchange }),
      onFinding: (finding) => log({ type: 'finding', finding }),
      onAttackEnd: (result) => log({ type: 'attack-end', result }),
      async onRunEnd(result) {
        log({ type: 'run-end', status: result.status, findings: result.findings.length, requests: result.requests });
        await out.close();
      },
      onRunFailed: () => out.close(),
    };
  },
};
