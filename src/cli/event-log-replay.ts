/**
 * Feeds the exchanges logged in shards' events.ndjson to a merge's reporters, line by line, so
 * the merged HAR is written the way a run writes it, with memory flat whatever the logs' size.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RunEvent } from '../result/events.js';
import { IdemAuditError } from '../errors/errors.js';
import type { Reporting } from './reporting.js';

function parse(line: string): RunEvent | undefined {
  if (line.trim() === '') return undefined;
  try {
    const event = JSON.parse(line) as unknown;
    return typeof event === 'object' && event !== null && 'type' in event ? (event as RunEvent) : undefined;
  } catch {
    return undefined; // a run killed mid-write leaves a torn last line
  }
}

/**
 * Replays each log's run-start (the clock its exchanges count from) and its exchanges, file by
 * file. Resolves to the error that stopped it, if one did, so the caller still writes the reports.
 */
export async function replayEventLogs(
  files: readonly string[],
  to: Pick<Reporting, 'emit' | 'drained'>,
): Promise<IdemAuditError | undefined> {
  for (const file of files) {
    try {
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        const event = parse(line);
        if (event?.type !== 'run-start' && event?.type !== 'exchange') continue;
        to.emit(event);
        const full = to.drained();
        if (full) await full;
      }
    } catch (err) {
      return new IdemAuditError(
        'IDEM_REPORT_WRITE_FAILED',
        `cannot read the event log ${file}: ${(err as Error).message}`,
      );
    }
  }
  return undefined;
}
