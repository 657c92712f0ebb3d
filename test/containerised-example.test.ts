/**
 * The containerised worked example (docs/hooks.md) cannot run here (no Docker daemon on the machine
 * that builds idem-audit), so its parts are checked for what they must agree on: the scenario loads,
 * its hooks name the compose services and the Toxiproxy proxy the compose file declares, and the
 * demo paths it audits exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadScenario } from '../src/config/index.js';
import { FLAWS } from '../src/demo/index.js';
import { extensionSchemas } from '../src/engine/extension-schemas.js';

const DIR = join(import.meta.dirname, '..', 'examples', 'containerised');

describe('examples/containerised', () => {
  it('loads, and its hooks act on what the compose file declares', async () => {
    const scenario = await loadScenario(join(DIR, 'scenario.yaml'), extensionSchemas(), {});
    const compose = parse(readFileSync(join(DIR, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { command?: string[] }>;
    };
    const hooks = scenario.hooks ?? {};
    expect(Object.keys(hooks).sort()).toEqual(['crash', 'ready', 'restart', 'storeDown', 'storeUp']);
    expect(hooks.crash?.argv.at(-1)).toBe('payments');
    expect(hooks.restart?.argv.at(-1)).toBe('payments');
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['payments', 'toxiproxy', 'postgres']));
    const proxy = JSON.parse(compose.services['toxiproxy-config']?.command?.at(-1) ?? '{}') as { name?: string };
    expect(hooks.storeDown?.argv.join(' ')).toContain(`/proxies/${proxy.name ?? '?'}`);
    expect(hooks.storeUp?.argv.join(' ')).toContain(`/proxies/${proxy.name ?? '?'}`);
    const flaws = compose.services['payments']?.command?.[compose.services['payments'].command.indexOf('--flaws') + 1];
    expect(flaws?.split(',').every((f) => (FLAWS as readonly string[]).includes(f))).toBe(true);
    expect(scenario.endpoints.map((e) => `${e.name}:${e.attacks.map((a) => a.id).join(',')}`)).toEqual([
      'memory-keys:process-crash',
      'orphaned-reservation:process-crash',
      'orders:process-crash',
      'payments-outage:store-outage',
    ]);
  });
});
