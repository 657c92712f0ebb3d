import type { Command } from 'commander';
import { scenarioJsonSchema } from '../../config/index.js';
import { extensionSchemas } from '../../engine/extension-schemas.js';
import type { CliIo } from '../io.js';

export function registerSchema(program: Command, io: CliIo): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editor completion and checks)')
    .action(() => {
      io.stdout(`${JSON.stringify(scenarioJsonSchema(extensionSchemas()), null, 2)}\n`);
    });
}
