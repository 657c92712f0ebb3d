/** An HttpEngine whose exchanges stream to an ndjson file, the way a real run records them. */
import { HostPolicy } from '../src/http/host-policy.js';
import { createWriteStream, type WriteStream } from 'node:fs';
import { ARRIVAL_HEADER } from '../src/demo/server.js';
import { HttpEngine } from '../src/http/engine.js';
import { createRedactor } from '../src/http/redact.js';
import { DEFAULT_SECRET_HEADERS } from '../src/scenario/credentials.js';

/** Redaction as a real run configures it: the default header rules and a few secret values. */
const REDACTOR = {
  secretHeaders: DEFAULT_SECRET_HEADERS,
  keyHeader: 'Idempotency-Key',
  secretValues: ['tok-7f3a9c1e5b2d4f60a8e1', 'Bearer tok-7f3a9c1e5b2d4f60a8e1', 'acme-tenant-0042', 'pw "q" é/+'],
};

export interface RecordingEngine {
  engine: HttpEngine;
  /** Resolves when the file has caught up (call before the next send to keep memory flat). */
  backpressure(): Promise<void> | undefined;
  recorded(): number;
  close(): Promise<void>;
}

export function recordingEngine(file: string, maxRequests = 10_000_000): RecordingEngine {
  const out: WriteStream = createWriteStream(file);
  let count = 0;
  let draining: Promise<void> | undefined;
  let closing: Promise<void> | undefined;
  let pending: string[] = [];
  let pendingBytes = 0;
  let flushSoon: NodeJS.Immediate | undefined;
  const flush = (): void => {
    if (flushSoon) clearImmediate(flushSoon);
    flushSoon = undefined;
    if (pending.length === 0) return;
    const chunk = `${pending.join('\n')}\n`;
    pending = [];
    pendingBytes = 0;
    if (!out.write(chunk) && !draining) {
      draining = new Promise((r) =>
        out.once('drain', () => {
          draining = undefined;
          r();
        }),
      );
    }
  };
  const engine = new HttpEngine({
    hostPolicy: HostPolicy.loopbackOnly(),
    timeoutMs: 10_000,
    bodyCap: 8192,
    maxRequests,
    rate: undefined,
    redactor: createRedactor(REDACTOR),
    now: () => performance.now(),
    // The benchmarks audit the demo target, which reports arrival times (B2).
    arrivalHeader: ARRIVAL_HEADER,
    onExchange: (ex) => {
      count++;
      const line = JSON.stringify({ type: 'exchange', exchange: ex });
      pending.push(line);
      pendingBytes += line.length;
      // Lines go out in ~64 KiB writes: one file write per exchange costs more than the exchange.
      if (pendingBytes >= 64 * 1024) flush();
      else flushSoon ??= setImmediate(flush);
    },
  });
  return {
    engine,
    backpressure: () => draining,
    recorded: () => count,
    close: () => {
      closing ??= (async () => {
        await engine.close();
        flush();
        await new Promise<void>((r) => out.end(() => r()));
      })();
      return closing;
    },
  };
}
