import type { Command } from 'commander';
import { relative, resolve } from 'node:path';
import { loadScenario } from '../../config/index.js';
import { addAuditOptions, type AuditCliOptions } from '../audit-options.js';
import { executeAudit } from '../execute-audit.js';
import { extensionSchemas } from '../../engine/extension-schemas.js';
import type { CliIo } from '../io.js';
import { shellQuote } from '../shell-quote.js';

export function registerRun(program: Command, io: CliIo, setExit: (code: number) => void): void {
  addAuditOptions(
    program
      .command('run')
      .description('audit the target described by a scenario file')
      .argument('<scenario>', 'scenario YAML file'),
  ).action(async (file: string, opts: AuditCliOptions) => {
    // Relative to the CLI's working directory, which in-process callers set explicitly.
    const scenario = await loadScenario(resolve(io.cwd, file), extensionSchemas(), io.env);
    const shown = relative(io.cwd, scenario.file) || scenario.file;
    setExit(await executeAudit(scenario, opts, io, `idem-audit run ${shellQuote(shown)}`));
  });
}
