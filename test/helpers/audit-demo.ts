/**
 * Audits the demo target in-process: starts it with the given flaws, loads the bundled demo
 * scenario against it, and returns the result. The fixture behind every attack's tests.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attacks } from '../../src/attacks/index.js';
import { extensionSchemas } from '../../src/cli/extensions.js';
import { loadScenario } from '../../src/config/index.js';
import { parseFlaws, startDemoServer, type DemoOptions } from '../../src/demo/index.js';
import type { RunEvent } from '../../src/engine/events.js';
import type { AuditResult } from '../../src/engine/result.js';
import { runAudit } from '../../src/engine/run-audit.js';
import { observers } from '../../src/observers/index.js';

export const DEMO_SCENARIO = join(fileURLToPath(new URL('../..', import.meta.url)), 'scenarios', 'demo.yaml');

export interface DemoAuditOptions {
  flaws: string;
  only?: string[];
  endpoints?: string[];
  seed?: number;
  demo?: Partial<Omit<DemoOptions, 'flaws'>>;
  onEvent?: (e: RunEvent) => void;
}

export async function auditDemo(o: DemoAuditOptions): Promise<AuditResult> {
  const server = await startDemoServer({ flaws: parseFlaws(o.flaws), ...o.demo });
  try {
    const scenario = await loadScenario(DEMO_SCENARIO, extensionSchemas(), { DEMO_URL: server.url });
    const opts: Parameters<typeof runAudit>[0] = { scenario, attacks, observers, seed: o.seed ?? 1 };
    if (o.only) opts.only = o.only;
    if (o.endpoints) opts.endpoints = o.endpoints;
    if (o.onEvent) opts.onEvent = o.onEvent;
    return await runAudit(opts);
  } finally {
    await server.close();
  }
}

/** `kind@endpoint` of every finding, sorted: compact to assert on. */
export function findingKeys(r: AuditResult): string[] {
  return r.findings.map((f) => `${f.kind}@${f.endpoint}`).sort();
}
