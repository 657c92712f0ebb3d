import type { Command } from 'commander';
import { join } from 'node:path';
import { loadScenario } from '../../config/index.js';
import { freePort } from '../../demo/free-port.js';
import { startDemoChild } from '../../demo/child.js';
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
    // Two nodes sharing their stores, so cross-node-burst has instances to spread over; in their
    // own process, so the auditor's lanes and the target never wait on one event loop.
    const target = await startDemoChild({ flaws: [...flaws], nodes: 2, downstreamUrl: `http://127.0.0.1:${sinkPort}` });
    try {
      const [url] = target.urls;
      if (url === undefined) throw new Error('the demo target started no node');
      const loaded = await loadScenario(join(packageRoot(), 'scenarios', 'demo.yaml'), extensionSchemas(), {
        ...io.env,
        DEMO_URL: url,
        DEMO_SINK_PORT: String(sinkPort),
      });
      const scenario = { ...loaded, target: { ...loaded.target, nodes: [...target.urls] } };
      setExit(await executeAudit(scenario, opts, io, `idem-audit demo --flaws ${opts.flaws}`));
    } finally {
      await target.close();
    }
  });
}
