/**
 * Before any attack, check that every origin accepts a TCP connection. This sends no HTTP
 * request (nothing to clean up on the target) and turns "every attack timed out" into one
 * clear error naming the URL.
 */
import net from 'node:net';
import { TargetUnreachableError } from '../errors/errors.js';
import type { HostPolicy } from '../http/host-policy.js';
import { classifyTransportError } from '../http/transport-errors.js';

export async function assertReachable(urls: readonly string[], timeoutMs: number, policy: HostPolicy): Promise<void> {
  // A TCP connection is traffic too: a refused host is not even connected to.
  policy.assertAllowed(urls);
  for (const url of new Set(urls)) {
    const u = new URL(url);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const reason = await new Promise<string | undefined>((resolve) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(
        () => {
          socket.destroy();
          resolve(`no TCP connection within ${Math.min(timeoutMs, 5000)} ms`);
        },
        Math.min(timeoutMs, 5000),
      );
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(undefined);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        resolve(classifyTransportError(err).message);
      });
    });
    if (reason !== undefined) throw new TargetUnreachableError(url, reason);
  }
}
