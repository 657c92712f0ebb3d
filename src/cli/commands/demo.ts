import type { Command } from 'commander';
import { join } from 'node:path';
import { loadScenario } from '../../config/index.js';
import { freePort } from '../../demo/free-port.js';
import { startDemoCluster } from '../../demo/cluster.js';
import { FLAWS } from '../../demo/index.js';
import { addAuditOptions, type AuditCliOptions } from '../audit-options.js';
import { executeAudit } from '../execute-audit.js';
import { extensionSchemas } from '../../engine/extension-schemas.js';
import type { CliIo } from '../io.js';
import { packageRoot } from '../../package-info.js';
import { toFlaws } from './serve-demo.js';

export function registerDemo(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addAuditOptions(
    program
      .command('demo')
      .description('start the bundled demo target on a free port and audit it with scenarios/demo.yaml')
      .option('--flaws <list>', `flaws to switch on: all, none, or a comma list of ${FLAWS.join(', ')}`, 'all'),
  ).action(async (opts: AuditCliOptions & { flaws: string }) => {
    const flaws = toFlaws(opts.flaws);
    // The demo's provider calls go to the sink observer the scenario starts on this port.
    const sinkPort = await freePort();
    // Two nodes sharing their stores, so cross-node-burst has instances to spread over.
    const cluster = await startDemoCluster({ flaws, nodes: 2, downstreamUrl: `http://127.0.0.1:${sinkPort}` });
    const server = cluster.nodes[0];
    try {
      if (!server) throw new Error('the demo cluster started no node');
      const loaded = await loadScenario(join(packageRoot(), 'scenarios', 'demo.yaml'), extensionSchemas(), {
        ...io.env,
        DEMO_URL: server.url,
        DEMO_SINK_PORT: String(sinkPort),
      });
      const scenario = { ...loaded, target: { ...loaded.target, nodes: cluster.nodes.map((n) => n.url) } };
      setExit(await executeAudit(scenario, opts, io, `idem-audit demo --flaws ${opts.flaws}`));
    } finally {
      await cluster.close();
    }
  });
}
