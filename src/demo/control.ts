/**
 * What the demo scenario's hooks call: a small HTTP endpoint on loopback, behind an unguessable
 * path, that crashes and restarts the supervised demo target and switches its key store's proxy
 * off and on. The hooks themselves are ordinary commands (`node hook-client.js <url>/crash`), so
 * the demo goes through the same hook runner, timeouts and reports as a real staging system does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoSupervisor } from './supervisor.js';
import type { TcpProxy } from './tcp-proxy.js';

export const CONTROL_ACTIONS = ['crash', 'restart', 'ready', 'store-down', 'store-up'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

const READY_TIMEOUT_MS = 30_000;

export interface DemoControl {
  /** Base URL, secret path included: `<url>/crash` etc. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startDemoControl(o: { supervisor: DemoSupervisor; storeProxy?: TcpProxy }): Promise<DemoControl> {
  const token = randomBytes(16).toString('hex');
  const act = async (action: ControlAction): Promise<string> => {
    switch (action) {
      case 'crash': {
        const pid = o.supervisor.pid;
        await o.supervisor.crash();
        return pid === undefined ? 'the demo target was not running' : `killed the demo target (pid ${pid}, SIGKILL)`;
      }
      case 'restart':
        return `restarted the demo target on ${(await o.supervisor.restart()).join(', ')}`;
      case 'ready':
        await untilHealthy(o.supervisor.urls, READY_TIMEOUT_MS);
        return `the demo target answers on ${o.supervisor.urls.join(', ')}`;
      case 'store-down':
        if (!o.storeProxy) throw new Error('this demo has no key store proxy');
        await o.storeProxy.disable();
        return `key store proxy on port ${o.storeProxy.port} disabled`;
      case 'store-up':
        if (!o.storeProxy) throw new Error('this demo has no key store proxy');
        await o.storeProxy.enable();
        return `key store proxy on port ${o.storeProxy.port} enabled`;
    }
  };
  const server = createServer((req, res) => {
    const [, secret, action] = (req.url ?? '').split('/');
    req.resume();
    const answer = (status: number, text: string): void => {
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${text}\n`);
    };
    if (req.method !== 'POST' || secret !== token || !CONTROL_ACTIONS.includes(action as ControlAction)) {
      answer(404, 'not found');
      return;
    }
    act(action as ControlAction).then(
      (text) => answer(200, text),
      (err: unknown) => answer(500, err instanceof Error ? err.message : String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Every URL answers GET /health with 200, polled until `timeoutMs`. */
async function untilHealthy(urls: readonly string[], timeoutMs: number): Promise<void> {
  if (urls.length === 0) throw new Error('the demo target has not been started');
  const deadline = Date.now() + timeoutMs;
  for (const url of urls) {
    for (;;) {
      if (await healthy(url)) break;
      if (Date.now() > deadline) throw new Error(`${url}/health did not answer 200 within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(`${url}/health`, { timeout: 1_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
