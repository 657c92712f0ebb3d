/**
 * The demo target as `idem-audit demo` runs it: a child process (child.ts, under DemoSupervisor),
 * its crash-and-outage variants' keys and records in the demo database (or PostgreSQL) that
 * outlives it, the key store behind a proxy that can be switched off, and the control endpoint the
 * scenario's hooks call. One call to start it all, one to stop it all, whatever started.
 */
import type { ChildOptions } from './child.js';
import { startDemoControl, type DemoControl } from './control.js';
import { startDemoDatabase, type DemoDatabase } from './database.js';
import { DemoSupervisor } from './supervisor.js';
import { TcpProxy } from './tcp-proxy.js';

export interface SupervisedDemoOptions {
  /** The compiled child entry, `dist/demo/child.js` (a child process runs JavaScript, not the sources). */
  entry: string;
  /** `all`, `none` or a comma list, as `--flaws`. */
  flaws: string;
  nodes?: number;
  downstreamUrl?: string;
  /**
   * Where keys live: the demo database (default; only the crash and outage variants use it), or a
   * PostgreSQL every variant uses (as `serve-demo --store postgres`). Either is reached through the
   * switchable proxy.
   */
  keyStore?: 'demo-database' | { postgres: string };
  startTimeoutMs?: number;
}

export interface SupervisedDemo {
  /** One URL per node. */
  readonly urls: readonly string[];
  readonly supervisor: DemoSupervisor;
  readonly control: DemoControl;
  /** The variable the bundled demo scenario's hooks read: the control URL (secret path included). */
  hookEnv(): Record<string, string>;
  close(): Promise<void>;
}

export async function startSupervisedDemo(o: SupervisedDemoOptions): Promise<SupervisedDemo> {
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const store = o.keyStore ?? 'demo-database';
    let storage: Pick<ChildOptions, 'database' | 'postgres'>;
    let proxy: TcpProxy;
    if (store === 'demo-database') {
      const db: DemoDatabase = await startDemoDatabase();
      closers.push(() => db.close());
      proxy = new TcpProxy({ host: '127.0.0.1', port: db.port });
      await proxy.enable();
      storage = { database: { url: db.url, keysUrl: proxy.url } };
    } else {
      const pg = new URL(store.postgres);
      proxy = new TcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
      await proxy.enable();
      pg.host = `127.0.0.1:${proxy.port}`;
      storage = { postgres: pg.toString() };
    }
    closers.push(() => proxy.close());
    const supervisor = new DemoSupervisor({
      command: (ports) => {
        const child: ChildOptions = {
          flaws: o.flaws,
          nodes: o.nodes ?? 1,
          ...(ports ? { ports } : {}),
          ...(o.downstreamUrl === undefined ? {} : { downstreamUrl: o.downstreamUrl }),
          ...storage,
        };
        return [process.execPath, o.entry, JSON.stringify(child)];
      },
      ...(o.startTimeoutMs === undefined ? {} : { startTimeoutMs: o.startTimeoutMs }),
    });
    closers.push(() => supervisor.stop());
    const urls = await supervisor.start();
    const control = await startDemoControl({ supervisor, storeProxy: proxy });
    closers.push(() => control.close());
    return {
      get urls() {
        return supervisor.urls.length > 0 ? supervisor.urls : urls;
      },
      supervisor,
      control,
      hookEnv: () => ({ DEMO_CONTROL: control.url }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
