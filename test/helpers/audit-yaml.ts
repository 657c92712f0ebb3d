/**
 * Audits a scenario given as YAML text with the built-in attacks and observers: the fixture for
 * attack tests against a hand-written target (a behaviour the demo does not have).
 */
import { attacks } from '../../src/attacks/index.js';
import { extensionSchemas } from '../../src/engine/extension-schemas.js';
import { loadScenarioText } from '../../src/config/index.js';
import type { AuditResult } from '../../src/result/result.js';
import { runAudit, type AuditOptions } from '../../src/engine/run-audit.js';
import { observers } from '../../src/observers/index.js';

export async function auditYaml(
  yaml: string,
  options: Partial<Omit<AuditOptions, 'scenario' | 'attacks' | 'observers'>> = {},
): Promise<AuditResult> {
  const scenario = loadScenarioText(yaml, 't.yaml', extensionSchemas());
  return runAudit({ scenario, attacks, observers, seed: 1, keySalt: 'test', ...options });
}
