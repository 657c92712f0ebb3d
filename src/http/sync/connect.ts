/**
 * Opens raw connections for the synchronised modes, which write bytes themselves instead of
 * going through undici. TCP_NODELAY is a parameter: last-byte wants each final byte to leave at
 * once, the single-packet attack wants Nagle on so its final frames coalesce.
 */
import net from 'node:net';
import tls from 'node:tls';
import { classifyTransportError } from '../transport-errors.js';
import type { TransportError } from './types.js';

export interface ConnectOptions {
  /** ALPN protocols to offer on https (ignored on http). */
  alpn: readonly string[];
  noDelay: boolean;
  timeoutMs: number;
  /** Extra trusted CA certificates (PEM) for https, e.g. a test target's self-signed one. */
  ca?: string | undefined;
}

export type Connected =
  { socket: net.Socket; alpn: string | false; error?: undefined } | { socket?: undefined; error: TransportError };

export function connectRaw(url: string, o: ConnectOptions): Promise<Connected> {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const port = Number(u.port || (https ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket: net.Socket = https
      ? tls.connect({
          host,
          port,
          servername: net.isIP(host) ? undefined : host,
          ALPNProtocols: [...o.alpn],
          ...(o.ca === undefined ? {} : { ca: o.ca }),
        })
      : net.connect({ host, port });
    socket.setNoDelay(o.noDelay);
    const timer = setTimeout(
      () => {
        socket.destroy();
        resolve({
          error: classifyTransportError(
            Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
          ),
        });
      },
      Math.min(o.timeoutMs, 10_000),
    );
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ error: classifyTransportError(err) });
    };
    socket.once(https ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // Later errors belong to whoever reads the socket; until it listens, they must not crash us.
      socket.on('error', () => undefined);
      const alpn = socket instanceof tls.TLSSocket ? socket.alpnProtocol : false;
      resolve({ socket, alpn: alpn ?? false });
    });
    socket.once('error', onError);
  });
}

/** Resolves once everything written so far has been handed to the kernel. */
export function flushed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}
