/**
 * Audits the demo target in-process: starts it with the given flaws, loads the bundled demo
 * scenario against it, and returns the result. The fixture behind every attack's tests.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attacks } from '../../src/attacks/index.js';
import { extensionSchemas } from '../../src/engine/extension-schemas.js';
import { loadScenario } from '../../src/config/index.js';
import { startDemoCluster, type DemoStorage } from '../../src/demo/cluster.js';
import { freePort } from '../../src/demo/free-port.js';
import { parseFlaws, startDemoServer, type DemoOptions } from '../../src/demo/index.js';
import { startSupervisedDemo, type SupervisedDemoOptions } from '../../src/demo/supervised.js';
import type { RunEvent } from '../../src/result/events.js';
import type { AuditResult } from '../../src/result/result.js';
import { runAudit } from '../../src/engine/run-audit.js';
import { observers } from '../../src/observers/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEMO_SCENARIO = join(ROOT, 'scenarios', 'demo.yaml');
/** The built child entry (`npm test` builds dist/ first): the supervised demo runs its target in a child. */
export const CHILD_ENTRY = join(ROOT, 'dist', 'demo', 'child.js');

export interface DemoAuditOptions {
  flaws: string;
  only?: string[];
  endpoints?: string[];
  seed?: number;
  /** Salt of generated keys; default fixed, so a test's keys depend on its seed only. */
  keySalt?: string;
  demo?: Partial<Omit<DemoOptions, 'flaws'>>;
  onEvent?: (e: RunEvent) => void;
  /** Run this many demo nodes sharing storage (cross-node); they become the scenario's target.nodes. */
  nodes?: number;
  /** Shared storage for the nodes (e.g. Postgres); default in memory. */
  storage?: DemoStorage;
  /** Parallel lanes (default: the run's default). */
  concurrency?: number;
}

export async function auditDemo(o: DemoAuditOptions): Promise<AuditResult> {
  // The demo's provider calls go to the sink observer the scenario starts on this port.
  const sinkPort = await freePort();
  const serverOptions = { flaws: parseFlaws(o.flaws), downstreamUrl: `http://127.0.0.1:${sinkPort}`, ...o.demo };
  const cluster =
    o.nodes !== undefined || o.storage !== undefined
      ? await startDemoCluster({ ...serverOptions, nodes: o.nodes ?? 1, ...(o.storage ? { storage: o.storage } : {}) })
      : undefined;
  const server = cluster?.nodes[0] ?? (await startDemoServer(serverOptions));
  try {
    const loaded = await loadScenario(DEMO_SCENARIO, extensionSchemas(), {
      DEMO_URL: server.url,
      DEMO_SINK_PORT: String(sinkPort),
    });
    const scenario = cluster
      ? { ...loaded, target: { ...loaded.target, nodes: cluster.nodes.map((n) => n.url) } }
      : loaded;
    const opts: Parameters<typeof runAudit>[0] = {
      scenario,
      attacks,
      observers,
      seed: o.seed ?? 1,
      keySalt: o.keySalt ?? 'test',
    };
    if (o.only) opts.only = o.only;
    if (o.endpoints) opts.endpoints = o.endpoints;
    if (o.onEvent) opts.onEvent = o.onEvent;
    if (o.concurrency !== undefined) opts.concurrency = o.concurrency;
    return await runAudit(opts);
  } finally {
    await (cluster ?? server).close();
  }
}

/** `kind@endpoint` of every finding, sorted: compact to assert on. */
export function findingKeys(r: AuditResult): string[] {
  return r.findings.map((f) => `${f.kind}@${f.endpoint}`).sort();
}

export interface SupervisedAuditOptions {
  flaws: string;
  only?: string[];
  endpoints?: string[];
  seed?: number;
  /** Default true: the demo owns its target, as `idem-audit demo` does. */
  allowHooks?: boolean;
  keyStore?: SupervisedDemoOptions['keyStore'];
}

/**
 * Audits the demo target the way `idem-audit demo` runs it: serve-demo in a child process the
 * scenario's hooks kill and restart, its crash-and-outage variants' keys in the demo database (or
 * PostgreSQL) behind a switchable proxy. Needs dist/ (the child runs the built CLI).
 */
export async function auditSupervisedDemo(o: SupervisedAuditOptions): Promise<AuditResult> {
  const sinkPort = await freePort();
  const demo = await startSupervisedDemo({
    entry: CHILD_ENTRY,
    flaws: o.flaws,
    downstreamUrl: `http://127.0.0.1:${sinkPort}`,
    ...(o.keyStore ? { keyStore: o.keyStore } : {}),
  });
  try {
    const scenario = await loadScenario(DEMO_SCENARIO, extensionSchemas(), {
      DEMO_URL: demo.urls[0] ?? '',
      DEMO_SINK_PORT: String(sinkPort),
      ...demo.hookEnv(),
    });
    return await runAudit({
      scenario,
      attacks,
      observers,
      seed: o.seed ?? 1,
      keySalt: 'test',
      allowHooks: o.allowHooks ?? true,
      ...(o.only ? { only: o.only } : {}),
      ...(o.endpoints ? { endpoints: o.endpoints } : {}),
    });
  } finally {
    await demo.close();
  }
}
