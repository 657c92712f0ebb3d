/**
 * Several demo nodes behind one scenario (the cross-node case): each node is its own HTTP server,
 * and per variant they share one key store and one ledger, as instances behind a load balancer
 * share a database. The per-node-store flaw gives each node its own key store for its variant,
 * the classic in-process cache that only deduplicates requests landing on the same instance.
 */
import type { FlawId } from './flaws.js';
import { MemoryLedger, type Ledger } from './ledger.js';
import { policyFor } from './policies.js';
import { startDemoServer, type DemoOptions, type DemoServer } from './server.js';
import { MemoryKeyStore, type KeyStore } from './store.js';
import type { DemoVariant } from './flaws.js';

export interface DemoStorage {
  store(variant: DemoVariant): KeyStore;
  ledger(variant: DemoVariant): Ledger;
}

export interface ClusterOptions extends Omit<DemoOptions, 'store' | 'ledger'> {
  nodes: number;
  /** One port per node (a restart on the same ports); default `port`, `port+1`, … or any free ones. */
  ports?: readonly number[];
  /** Shared storage (e.g. Postgres); what is missing is one in-memory store / ledger per variant. */
  storage?: Partial<DemoStorage>;
}

export interface DemoCluster {
  nodes: readonly DemoServer[];
  close(): Promise<void>;
}

export async function startDemoCluster(o: ClusterOptions): Promise<DemoCluster> {
  const { nodes: count, storage, ports, ...server } = o;
  const owned: MemoryKeyStore[] = [];
  const memoryStore = (): MemoryKeyStore => {
    const s = new MemoryKeyStore();
    owned.push(s);
    return s;
  };
  const stores = new Map<DemoVariant, KeyStore>();
  const ledgers = new Map<DemoVariant, Ledger>();
  const shared: DemoStorage = {
    store: (v) => stores.get(v) ?? remember(stores, v, storage?.store ? storage.store(v) : memoryStore()),
    ledger: (v) => ledgers.get(v) ?? remember(ledgers, v, storage?.ledger ? storage.ledger(v) : new MemoryLedger()),
  };
  const perNode = (v: DemoVariant, flaws: ReadonlySet<FlawId>): boolean =>
    policyFor(v, flaws, { raceWindow: 0 }).storeScope === 'node';
  const nodes: DemoServer[] = [];
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(
        await startDemoServer({
          ...server,
          ...(ports?.[i] !== undefined
            ? { port: ports[i] }
            : server.port === undefined || server.port === 0
              ? {}
              : { port: server.port + i }),
          store: (v) => (perNode(v, o.flaws) ? memoryStore() : shared.store(v)),
          ledger: (v) => shared.ledger(v),
        }),
      );
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.close()));
    throw err;
  }
  return {
    nodes,
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      await Promise.all(owned.map((s) => s.close()));
    },
  };
}

function remember<T>(map: Map<DemoVariant, T>, v: DemoVariant, value: T): T {
  map.set(v, value);
  return value;
}
