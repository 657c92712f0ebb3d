import type { Command } from 'commander';
import { relative } from 'node:path';
import { loadScenario } from '../../config/index.js';
import { addAuditOptions, type AuditCliOptions } from '../audit-options.js';
import { executeAudit } from '../execute-audit.js';
import { extensionSchemas } from '../extensions.js';
import type { CliIo } from '../io.js';

export function registerRun(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addAuditOptions(
    program
      .command('run')
      .description('audit the target described by a scenario file')
      .argument('<scenario>', 'scenario YAML file'),
  ).action(async (file: string, opts: AuditCliOptions) => {
    const scenario = await loadScenario(file, extensionSchemas(), io.env);
    const shown = relative(io.cwd, scenario.file) || scenario.file;
    setExit(await executeAudit(scenario, opts, io, `idem-audit run ${shown}`));
  });
}
