/**
 * report.json: the machine-readable result. Its top-level shape (schemaVersion, status,
 * findings[] with attack, endpoint, severity, kind, fingerprint) is a promise to CI scripts.
 */
import type { Reporter } from './types.js';

export const jsonReporter: Reporter = {
  meta: { id: 'json', description: 'The full result as JSON (versioned schema).', destination: 'report.json' },
  render(result, ctx) {
    return `${JSON.stringify({ ...result, exitCode: ctx.exitCode }, null, 2)}\n`;
  },
};
