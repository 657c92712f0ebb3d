/**
 * traffic.har: every exchange of the run as HAR 1.2, loadable in browser dev tools. The result
 * object keeps only evidence exchanges, so the HAR is built from events.ndjson, read back line by
 * line and written entry by entry: memory stays flat whatever the campaign's size. The exchanges
 * in the event log were redacted when recorded, so the HAR carries no secret either.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RunEvent } from '../result/events.js';
import type { Exchange } from '../http/exchange.js';

interface HarHeader {
  name: string;
  value: string;
}

const toHeaders = (h: Record<string, string>): HarHeader[] =>
  Object.entries(h).map(([name, value]) => ({ name, value }));

function headerValue(h: Record<string, string>, name: string): string | undefined {
  const found = Object.entries(h).find(([k]) => k.toLowerCase() === name);
  return found?.[1];
}

function queryOf(url: string): HarHeader[] {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({ name, value }));
  } catch {
    return [];
  }
}

const nonNegative = (n: number): number => (n > 0 ? Math.round(n * 1000) / 1000 : 0);

export function harEntry(ex: Exchange, runStartMs: number): Record<string, unknown> {
  const t = ex.timings;
  const sent = t.sent ?? t.queued;
  const headers = t.headers ?? sent;
  const done = t.done ?? headers;
  const req = ex.request;
  const res = ex.response;
  const request: Record<string, unknown> = {
    method: req.method,
    url: req.url,
    httpVersion: 'HTTP/1.1',
    cookies: [],
    headers: toHeaders(req.headers),
    queryString: queryOf(req.url),
    headersSize: -1,
    bodySize: req.body === undefined ? 0 : Buffer.byteLength(req.body),
  };
  if (req.body !== undefined)
    request['postData'] = { mimeType: headerValue(req.headers, 'content-type') ?? '', text: req.body };
  const response = res
    ? {
        status: res.status,
        statusText: '',
        httpVersion: 'HTTP/1.1',
        cookies: [],
        headers: toHeaders(res.headers),
        content: {
          size: res.bytes,
          mimeType: headerValue(res.headers, 'content-type') ?? '',
          text: res.body,
          ...(res.truncated ? { comment: 'truncated at the body cap' } : {}),
        },
        redirectURL: headerValue(res.headers, 'location') ?? '',
        headersSize: -1,
        bodySize: res.bytes,
      }
    : {
        // HAR's convention for a request that got no answer.
        status: 0,
        statusText: '',
        httpVersion: '',
        cookies: [],
        headers: [],
        content: { size: 0, mimeType: 'x-unknown' },
        redirectURL: '',
        headersSize: -1,
        bodySize: -1,
        _error: ex.error ? `${ex.error.code}: ${ex.error.message}` : 'no response',
      };
  return {
    startedDateTime: new Date(runStartMs + t.queued).toISOString(),
    time: nonNegative(done - t.queued),
    request,
    response,
    cache: {},
    timings: {
      blocked: nonNegative(sent - t.queued),
      dns: -1,
      connect: -1,
      send: 0,
      wait: nonNegative(headers - sent),
      receive: nonNegative(done - headers),
    },
    _idemAudit: {
      id: ex.id,
      label: ex.label,
      attack: ex.attack,
      endpoint: ex.endpoint,
      principal: ex.principal,
      ...(ex.key !== undefined ? { key: ex.key } : {}),
      ...(ex.burst !== undefined ? { burst: ex.burst } : {}),
      ...(ex.serverArrivalNs !== undefined ? { serverArrivalNs: ex.serverArrivalNs } : {}),
    },
  };
}

/** Streams the exchanges of `eventFiles` (one or more event logs, e.g. shards) into one HAR file. */
export async function writeHar(eventFiles: readonly string[], harFile: string, version: string): Promise<number> {
  const out = createWriteStream(harFile, { flags: 'w' });
  let failed: Error | undefined;
  out.on('error', (err) => {
    failed = err;
  });
  const write = async (text: string): Promise<void> => {
    if (failed) throw failed;
    if (out.write(text)) return;
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        out.off('drain', settle);
        out.off('error', settle);
        resolve();
      };
      out.on('drain', settle);
      out.on('error', settle);
    });
  };
  let count = 0;
  try {
    await write(
      `{"log":{"version":"1.2","creator":{"name":"idem-audit","version":${JSON.stringify(version)}},"pages":[],"entries":[`,
    );
    for (const file of eventFiles) {
      let runStart = Date.now();
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === '') continue;
        let event: RunEvent;
        try {
          event = JSON.parse(line) as RunEvent;
        } catch {
          continue; // a run killed mid-write leaves a torn last line
        }
        if (event.type === 'run-start') runStart = Date.parse(event.at);
        if (event.type !== 'exchange') continue;
        await write(`${count > 0 ? ',' : ''}\n${JSON.stringify(harEntry(event.exchange, runStart))}`);
        count++;
      }
    }
    await write('\n]}}\n');
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
  }
  if (failed) throw failed;
  return count;
}
