import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadScenario } from '../../config/index.js';
import { ScenarioError } from '../../errors/errors.js';
import { extensionSchemas } from '../../engine/extension-schemas.js';
import type { CliIo } from '../io.js';
import { renderError } from '../render-error.js';

export function registerValidate(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check scenario files and report every problem with its line and column')
    .argument('<files...>', 'scenario YAML files')
    .action(async (files: string[]) => {
      let failed = false;
      for (const file of files) {
        try {
          const s = await loadScenario(resolve(io.cwd, file), extensionSchemas(), io.env);
          const attacks = s.endpoints.reduce((n, e) => n + e.attacks.length, 0);
          io.stdout(
            `ok  ${file}: ${s.endpoints.length} endpoint(s), ${attacks} attack(s), contract ${s.contract.profile}\n`,
          );
        } catch (err) {
          if (!(err instanceof ScenarioError)) throw err;
          failed = true;
          io.stderr(`${renderError(err)}\n`);
        }
      }
      setExit(failed ? 2 : 0);
    });
}
