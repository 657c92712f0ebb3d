/**
 * The entry of a supervised demo target: `node child.js '<options as JSON>'`. It serves the demo
 * cluster, prints the line the supervisor waits for (`demo target listening on <urls> (…)`, as
 * serve-demo does), and stops on SIGTERM or when its stdin closes (its supervisor died); it ignores SIGINT.
 * A script of its own, loading the demo and nothing of the CLI, so a restart after a crash costs a
 * Node start-up and the demo's modules: the demo restarts its target on every crash it audits.
 */
import { fileURLToPath } from 'node:url';
import { startDemoCluster, type DemoCluster } from './cluster.js';
import { parseFlaws } from './flaws.js';
import { PostgresDemoDb, postgresDemoStorage } from './postgres-store.js';
import { DemoDatabaseClient, RemoteKeyStore, RemoteLedger } from './remote-store.js';

export interface ChildOptions {
  flaws: string;
  nodes?: number;
  /** One per node (a restart on the same ports); absent: any free ones. */
  ports?: readonly number[];
  host?: string;
  downstreamUrl?: string;
  /** The demo database, for the crash and outage variants; `keysUrl` reaches it for key records (a proxy). */
  database?: { url: string; keysUrl?: string };
  /** Every variant on this PostgreSQL instead (the transactional store), as serve-demo --store postgres. */
  postgres?: string;
  /** The race flaw's check-then-act gap (benchmarks); default the demo's. */
  raceWindow?: number | 'one-tick';
}

export interface ServedChild {
  readonly urls: readonly string[];
  close(): Promise<void>;
}

export async function serveChild(o: ChildOptions): Promise<ServedChild> {
  const flaws = parseFlaws(o.flaws);
  const closers: (() => Promise<void> | void)[] = [];
  let storage = {};
  if (o.postgres !== undefined) {
    const db = new PostgresDemoDb(o.postgres);
    closers.push(() => db.close());
    await db.migrate();
    storage = postgresDemoStorage(db, flaws);
  }
  let database: { store: (v: string) => RemoteKeyStore; ledger: (v: string) => RemoteLedger } | undefined;
  if (o.database) {
    const records = new DemoDatabaseClient(o.database.url);
    const keys = o.database.keysUrl === undefined ? records : new DemoDatabaseClient(o.database.keysUrl);
    closers.push(() => {
      keys.close();
      records.close();
    });
    database = { store: (v) => new RemoteKeyStore(keys, v), ledger: (v) => new RemoteLedger(records, v) };
  }
  let cluster: DemoCluster;
  try {
    cluster = await startDemoCluster({
      flaws,
      nodes: o.nodes ?? 1,
      ...(o.ports ? { ports: o.ports } : {}),
      ...(o.host === undefined ? {} : { host: o.host }),
      ...(o.downstreamUrl === undefined ? {} : { downstreamUrl: o.downstreamUrl }),
      ...(database ? { database } : {}),
      ...(o.raceWindow === undefined ? {} : { raceWindow: o.raceWindow }),
      storage,
    });
  } catch (err) {
    for (const c of closers) await c();
    throw err;
  }
  return {
    urls: cluster.nodes.map((n) => n.url),
    async close() {
      await cluster.close();
      for (const c of closers) await c();
    },
  };
}

async function main(json: string | undefined): Promise<void> {
  const served = await serveChild(JSON.parse(json ?? '{}') as ChildOptions);
  process.stdout.write(`demo target listening on ${served.urls.join(', ')} (supervised child)\n`);
  await new Promise<void>((done) => {
    process.once('SIGTERM', done);
    // Ctrl-C on a terminal reaches the whole process group: the auditor, which still needs answers
    // to its requests in flight, decides when the target stops (stdin or SIGTERM).
    process.on('SIGINT', () => undefined);
    process.stdin.on('data', () => undefined);
    process.stdin.once('end', done);
    process.stdin.once('close', done);
  });
  // Reading stdin keeps the process alive: let go of it, so it exits once the servers are closed.
  process.stdin.destroy();
  await served.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv[2]).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
}
