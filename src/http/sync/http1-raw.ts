/**
 * HTTP/1.1 on a raw socket: the request serialised by us (so we know exactly which byte is the
 * last), and a small incremental response reader (status, headers, Content-Length, chunked or
 * close-delimited bodies, capped at bodyCap).
 */
import type net from 'node:net';
import type { RequestSpec } from '../request-spec.js';
import { transportError, type PendingResult } from './exchange-io.js';

export function serializeHttp1(spec: RequestSpec): Buffer {
  const u = new URL(spec.url);
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body, 'utf8');
  const lines = [`${spec.method} ${u.pathname}${u.search} HTTP/1.1`];
  const names = new Set(Object.keys(spec.headers).map((n) => n.toLowerCase()));
  if (!names.has('host')) lines.push(`host: ${u.host}`);
  for (const [name, value] of Object.entries(spec.headers)) {
    // Framing is ours to decide: a stale length from the spec would desynchronise the connection.
    if (['content-length', 'transfer-encoding', 'connection'].includes(name.toLowerCase())) continue;
    lines.push(`${name}: ${value}`);
  }
  if (body !== undefined) lines.push(`content-length: ${body.length}`);
  // One request per connection: the server may close as soon as it has answered.
  lines.push('connection: close');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return body === undefined ? head : Buffer.concat([head, body]);
}

export interface Http1Response {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  bytes: number;
  truncated: boolean;
}

type Framing = { kind: 'length'; remaining: number } | { kind: 'chunked' } | { kind: 'close' } | { kind: 'none' };

/** Feed it socket data; `push` returns true once the response is complete. */
export class Http1ResponseReader {
  readonly #bodyCap: number;
  #buf: Buffer = Buffer.alloc(0);
  #status: number | undefined;
  #headers: Record<string, string> = {};
  #framing: Framing | undefined;
  #chunks: Buffer[] = [];
  #kept = 0;
  #bytes = 0;
  #truncated = false;
  #done = false;
  /** Set when the bytes cannot be HTTP/1.1. */
  protocolError: string | undefined;

  constructor(
    bodyCap: number,
    readonly method: string,
  ) {
    this.#bodyCap = bodyCap;
  }

  get headersDone(): boolean {
    return this.#framing !== undefined;
  }

  get done(): boolean {
    return this.#done;
  }

  push(data: Buffer): boolean {
    if (this.#done || this.protocolError !== undefined) return this.#done;
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    if (this.#framing === undefined && !this.#parseHead()) return false;
    this.#consumeBody();
    // Past the cap nothing more is kept, so the answer is as complete as it will ever be: stop
    // here rather than drain a hostile body (2 GB, endless chunks) to an end that may not come.
    // A single chunk far larger than the cap would otherwise sit whole in #buf.
    if (this.#truncated || this.#buf.length > this.#bodyCap + 64 * 1024) {
      this.#truncated = true;
      this.#done = true;
    }
    return this.#done;
  }

  /** The peer closed: a close-delimited body ends here; anything else incomplete is an error. */
  end(): boolean {
    if (this.#framing?.kind === 'close') this.#done = true;
    return this.#done;
  }

  result(): Http1Response | undefined {
    if (this.#status === undefined) return undefined;
    return {
      status: this.#status,
      headers: this.#headers,
      body: Buffer.concat(this.#chunks),
      bytes: this.#bytes,
      truncated: this.#truncated,
    };
  }

  #parseHead(): boolean {
    // A loop, not recursion: a peer can send thousands of interim (1xx) heads in one packet.
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.#buf.length > 64 * 1024) this.protocolError = 'response head larger than 64 KiB';
        return false;
      }
      const [statusLine = '', ...lines] = this.#buf.subarray(0, end).toString('latin1').split('\r\n');
      this.#buf = this.#buf.subarray(end + 4);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
      if (!m?.[1]) {
        this.protocolError = `not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 60))}`;
        return false;
      }
      const status = Number(m[1]);
      // Interim answers (100 Continue) precede the real one.
      if (status >= 100 && status < 200) continue;
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
      }
      this.#status = status;
      this.#headers = headers;
      const length = headers['content-length'];
      if (this.method === 'HEAD' || status === 204 || status === 304) this.#framing = { kind: 'none' };
      else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) this.#framing = { kind: 'chunked' };
      else if (length !== undefined && /^\d+$/.test(length))
        this.#framing = { kind: 'length', remaining: Number(length) };
      else this.#framing = { kind: 'close' };
      return true;
    }
  }

  #keep(data: Buffer): void {
    this.#bytes += data.length;
    const room = this.#bodyCap - this.#kept;
    if (room <= 0) {
      if (data.length > 0) this.#truncated = true;
      return;
    }
    const part = data.length > room ? data.subarray(0, room) : data;
    if (part.length < data.length) this.#truncated = true;
    this.#chunks.push(part);
    this.#kept += part.length;
  }

  #consumeBody(): void {
    const f = this.#framing;
    if (!f) return;
    switch (f.kind) {
      case 'none':
        this.#done = true;
        return;
      case 'close':
        this.#keep(this.#buf);
        this.#buf = Buffer.alloc(0);
        return;
      case 'length': {
        const take = this.#buf.subarray(0, f.remaining);
        this.#keep(take);
        f.remaining -= take.length;
        this.#buf = this.#buf.subarray(take.length);
        if (f.remaining === 0) this.#done = true;
        return;
      }
      case 'chunked':
        this.#consumeChunks();
    }
  }

  #consumeChunks(): void {
    for (;;) {
      const lineEnd = this.#buf.indexOf('\r\n');
      if (lineEnd < 0) return;
      const size = parseInt(this.#buf.subarray(0, lineEnd).toString('latin1').split(';', 1)[0] ?? '', 16);
      if (!Number.isFinite(size) || size < 0) {
        this.protocolError = 'malformed chunk size';
        return;
      }
      if (size === 0) {
        // The terminal chunk; trailers are not recorded.
        if (this.#buf.indexOf('\r\n\r\n', lineEnd) >= 0) this.#done = true;
        return;
      }
      if (this.#buf.length < lineEnd + 2 + size + 2) return;
      this.#keep(this.#buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      this.#buf = this.#buf.subarray(lineEnd + 2 + size + 2);
    }
  }
}

/**
 * Feeds a raw connection's bytes to the reader and settles `p` exactly once: the answer, a protocol
 * error, or a transport error (with the status and headers already read, if any). Never throws
 * from a socket listener, whatever the target sends.
 */
export function readHttp1Response(
  socket: net.Socket,
  reader: Http1ResponseReader,
  p: PendingResult,
  now: () => number,
): void {
  const finish = (): void => {
    const r = reader.result();
    if (r) p.answer(r);
    socket.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    if (p.settled) return;
    let complete: boolean;
    try {
      complete = reader.push(chunk);
    } catch (err) {
      // Whatever the bytes, a throw in a socket listener would take the process down.
      p.fail(transportError('HPE_INVALID_CONSTANT', err instanceof Error ? err.message : String(err)));
      socket.destroy();
      return;
    }
    if (reader.headersDone) p.headersAt ??= now();
    if (complete) return finish();
    if (reader.protocolError !== undefined) {
      p.fail(transportError('HPE_INVALID_CONSTANT', reader.protocolError));
      socket.destroy();
    }
  });
  socket.on('end', () => {
    if (reader.end()) return finish();
    const r = reader.result();
    p.fail(
      transportError('UND_ERR_SOCKET', 'the connection closed before a complete answer'),
      r && { status: r.status, headers: r.headers },
    );
  });
  socket.on('close', () => {
    if (!p.settled) p.fail(transportError('UND_ERR_SOCKET', 'the connection closed before a complete answer'));
  });
  socket.on('error', (err: Error & { code?: string }) => {
    p.fail(transportError(err.code ?? 'UND_ERR_SOCKET', err.message));
  });
}
