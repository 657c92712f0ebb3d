/** The reporter registry, sorted by id. */
import { jsonReporter } from './json.js';
import { terminalReporter } from './terminal.js';
import type { Reporter } from './types.js';

export const reporters: Readonly<Record<string, Reporter>> = {
  json: jsonReporter,
  terminal: terminalReporter,
};
