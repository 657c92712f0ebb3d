/** The reporter registry, sorted by id; the runner calls reporters in this order. */
import { eventLogReporter } from './event-log.js';
import { githubReporter } from './github.js';
import { harReporter } from './har.js';
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import { progressReporter } from './progress.js';
import { sarifReporter } from './sarif.js';
import { terminalReporter } from './terminal.js';
import type { ReporterDefinition } from './types.js';

export const reporters: Readonly<Record<string, ReporterDefinition>> = {
  events: eventLogReporter,
  github: githubReporter,
  har: harReporter,
  html: htmlReporter,
  json: jsonReporter,
  junit: junitReporter,
  markdown: markdownReporter,
  progress: progressReporter,
  sarif: sarifReporter,
  terminal: terminalReporter,
};
