/**
 * traffic.har: every exchange of the run as HAR 1.2, loadable in browser dev tools. The result
 * object keeps only evidence exchanges, so the HAR is written entry by entry as exchanges arrive
 * (live, or replayed from the shards' event logs by `merge`): memory stays flat whatever the
 * campaign's size. Exchanges are redacted when recorded, so the HAR carries no secret either.
 */
import type { Exchange } from '../http/exchange.js';
import type { OutputStream, ReporterDefinition } from './types.js';

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

/** The fields of a form body; undefined when it does not parse as one (a body cut short is still text). */
function formParams(body: string): HarHeader[] | undefined {
  try {
    return [...new URLSearchParams(body)].map(([name, value]) => ({ name, value }));
  } catch {
    return undefined;
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
  if (req.body !== undefined) {
    const mimeType = headerValue(req.headers, 'content-type') ?? '';
    // HAR lists a form's fields as params too (decoded), which dev tools show as a table.
    const params = /^application\/x-www-form-urlencoded\b/i.test(mimeType) ? formParams(req.body) : undefined;
    request['postData'] = { mimeType, text: req.body, ...(params ? { params } : {}) };
  }
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
      ...(ex.phase !== undefined ? { phase: ex.phase } : {}),
      ...(ex.serverArrivalNs !== undefined ? { serverArrivalNs: ex.serverArrivalNs } : {}),
    },
  };
}

export const HAR_FILE = 'traffic.har';

export const harReporter: ReporterDefinition = {
  meta: {
    id: 'har',
    description: 'Every exchange of the run as HAR 1.2, for browser dev tools.',
    destination: HAR_FILE,
    selectable: true,
    byDefault: true,
  },
  create(ctx) {
    let out: OutputStream | undefined;
    let entries = 0;
    // Exchange timings count from the run's start; a log without its run-start line falls back to now.
    let runStart = Date.now();
    // Opened with the run, not before: a run that never starts (target unreachable) leaves no HAR.
    const open = (): OutputStream => {
      if (out) return out;
      out = ctx.out.openStream(HAR_FILE);
      out.write(
        `{"log":{"version":"1.2","creator":{"name":"idem-audit","version":${JSON.stringify(ctx.toolVersion)}},"pages":[],"entries":[`,
      );
      return out;
    };
    const finish = async (): Promise<void> => {
      const stream = open();
      stream.write('\n]}}\n');
      await stream.close();
    };
    return {
      onRunStart(event) {
        open();
        const at = Date.parse(event.at);
        if (!Number.isNaN(at)) runStart = at;
      },
      onExchange(exchange) {
        open().write(`${entries > 0 ? ',' : ''}\n${JSON.stringify(harEntry(exchange, runStart))}`);
        entries++;
      },
      onRunEnd: finish,
      // A run that failed half-way keeps a well-formed HAR of what it sent.
      onRunFailed: () => (out ? finish() : undefined),
    };
  },
};
