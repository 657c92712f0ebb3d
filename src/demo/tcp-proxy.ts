/**
 * A TCP proxy that can be switched off, like a Toxiproxy proxy with `enabled: false`: off, it
 * closes every connection through it and refuses new ones (nothing listens on its port); on again,
 * it listens on the same port. The demo puts one between its target and the key store, so the
 * store-outage hooks can take the store away without touching either process.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #host: string;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port: number;

  constructor(target: { host: string; port: number }, listen: { host?: string; port?: number } = {}) {
    this.#target = target;
    this.#host = listen.host ?? '127.0.0.1';
    this.#port = listen.port ?? 0;
  }

  /** The port it listens on (fixed after the first start). */
  get port(): number {
    return this.#port;
  }

  get enabled(): boolean {
    return this.#server !== undefined;
  }

  /** `http://host:port` of the proxy. */
  get url(): string {
    return `http://${this.#host}:${this.#port}`;
  }

  async enable(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => this.#pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (typeof address === 'object' && address !== null) this.#port = address.port;
    this.#server = server;
  }

  /** Cuts every connection and stops listening: connecting is refused until `enable()`. */
  async disable(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.disable();
  }

  #pipe(client: Socket): void {
    const upstream = createConnection(this.#target);
    for (const s of [client, upstream]) {
      this.#sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.#sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
