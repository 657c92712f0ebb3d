/**
 * events.ndjson: every event of the run, one JSON object a line, streamed to disk as it
 * happens. Streaming keeps memory flat however many exchanges a campaign records, and leaves
 * a usable trail when the process dies half-way.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { RunEvent } from '../result/events.js';

export class EventLog {
  readonly #out: WriteStream;
  #error: Error | undefined;

  constructor(file: string) {
    this.#out = createWriteStream(file, { flags: 'w' });
    this.#out.on('error', (err) => {
      this.#error = err;
    });
  }

  write(event: RunEvent): void {
    if (this.#error) return;
    this.#out.write(`${JSON.stringify(event)}\n`);
  }

  #closing: Promise<void> | undefined;

  /** Flushes and closes; safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= new Promise((resolve, reject) => {
      this.#out.end(() => (this.#error ? reject(this.#error) : resolve()));
    });
    return this.#closing;
  }
}
