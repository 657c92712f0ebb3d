import type { Command } from 'commander';
import { join } from 'node:path';
import { loadScenario } from '../../config/index.js';
import { freePort } from '../../demo/free-port.js';
import { startSupervisedDemo } from '../../demo/supervised.js';
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
    toFlaws(opts.flaws);
    const root = packageRoot();
    // The demo's provider calls go to the sink observer the scenario starts on this port.
    const sinkPort = await freePort();
    // The target runs in a child process the scenario's hooks can kill and restart; two nodes
    // sharing their stores, so cross-node-burst has instances to spread over.
    const demo = await startSupervisedDemo({
      entry: join(root, 'dist', 'demo', 'child.js'),
      flaws: opts.flaws,
      nodes: 2,
      downstreamUrl: `http://127.0.0.1:${sinkPort}`,
    });
    try {
      const loaded = await loadScenario(join(root, 'scenarios', 'demo.yaml'), extensionSchemas(), {
        ...io.env,
        DEMO_URL: demo.urls[0] ?? '',
        DEMO_SINK_PORT: String(sinkPort),
        ...demo.hookEnv(),
      });
      const scenario = { ...loaded, target: { ...loaded.target, nodes: [...demo.urls] } };
      // The demo owns its target, so its hooks (which act only on that child) need no --allow-hooks.
      // `--flaws all` is the default: reproductions leave it out, so most fit one 80-column line.
      const command = opts.flaws === 'all' ? 'idem-audit demo' : `idem-audit demo --flaws ${opts.flaws}`;
      setExit(await executeAudit(scenario, { ...opts, allowHooks: true }, io, command));
    } finally {
      await demo.close();
    }
  });
}
