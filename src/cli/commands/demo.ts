import type { Command } from 'commander';
import { join } from 'node:path';
import { loadScenario } from '../../config/index.js';
import { FLAWS, startDemoServer } from '../../demo/index.js';
import { addAuditOptions, type AuditCliOptions } from '../audit-options.js';
import { executeAudit } from '../execute-audit.js';
import { extensionSchemas } from '../extensions.js';
import type { CliIo } from '../io.js';
import { packageRoot } from '../package-info.js';
import { toFlaws } from './serve-demo.js';

export function registerDemo(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addAuditOptions(
    program
      .command('demo')
      .description('start the bundled demo target on a free port and audit it with scenarios/demo.yaml')
      .option('--flaws <list>', `flaws to switch on: all, none, or a comma list of ${FLAWS.join(', ')}`, 'all'),
  ).action(async (opts: AuditCliOptions & { flaws: string }) => {
    const flaws = toFlaws(opts.flaws);
    const server = await startDemoServer({ flaws });
    try {
      const scenario = await loadScenario(join(packageRoot(), 'scenarios', 'demo.yaml'), extensionSchemas(), {
        ...io.env,
        DEMO_URL: server.url,
      });
      setExit(await executeAudit(scenario, opts, io, `idem-audit demo --flaws ${opts.flaws}`));
    } finally {
      await server.close();
    }
  });
}
