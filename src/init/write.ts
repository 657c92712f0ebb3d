/**
 * Writes what `init` produces: the scenario and, beside it, the JSON Schema its `$schema` line
 * points at. The schema is written from the installed registries, so completion in the editor
 * matches the attacks and observers this version knows (`idem-audit schema` regenerates it).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors/errors.js';

export const SCHEMA_FILE = 'idem-audit.schema.json';

export interface InitFiles {
  scenario: string;
  schema: string;
}

export function schemaPathFor(scenarioFile: string): string {
  return join(dirname(scenarioFile), SCHEMA_FILE);
}

/** Refuses to overwrite a scenario without --force; checked before anything is asked, and again before writing. */
export function assertNewFile(scenarioFile: string, force: boolean): void {
  if (existsSync(scenarioFile) && !force)
    throw new UsageError(
      `init: ${scenarioFile} already exists`,
      'pass --force to overwrite it, or --out to choose another file',
    );
}

export function writeInitFiles(scenarioFile: string, scenarioText: string, schema: unknown, force: boolean): InitFiles {
  assertNewFile(scenarioFile, force);
  const schemaFile = schemaPathFor(scenarioFile);
  try {
    writeFileSync(scenarioFile, scenarioText);
    // Always refreshed: a stale schema would flag attacks this version knows as unknown.
    writeFileSync(schemaFile, `${JSON.stringify(schema, null, 2)}\n`);
  } catch (err) {
    // A path the user chose with --out that cannot be written is a usage problem (exit 2).
    throw new UsageError(`init: cannot write ${basename(scenarioFile)}: ${(err as Error).message}`);
  }
  return { scenario: scenarioFile, schema: schemaFile };
}
