/**
 * B5: payload-mismatch mutation cases per second against the demo target's correct
 * implementation (every case passes, so there is no shrinking: this is the steady generation,
 * send and judge rate). Import-only; bench/run.ts calls it.
 */
import { attacks } from '../src/attacks/index.js';
import { extensionSchemas } from '../src/engine/extension-schemas.js';
import { loadScenarioText } from '../src/config/index.js';
import { startDemoServer } from '../src/demo/index.js';
import type { RunEvent } from '../src/result/events.js';
import { runAudit } from '../src/engine/run-audit.js';
import { observers } from '../src/observers/index.js';

export interface B5Result {
  cases: number;
  seconds: number;
  casesPerSecond: number;
}

const RUNS = 200;
const SEED = 5;

function scenarioYaml(): string {
  return [
    'version: 1',
    'name: b5-mutation-rate',
    'target:',
    '  baseUrl: ${DEMO_URL}',
    '  headers: { Authorization: Bearer bench }',
    'contract: { profile: ietf }',
    'endpoints:',
    '  correct:',
    '    request: { method: POST, path: /correct/payments, body: { amount: 1000, currency: usd, customer: cus_42 } }',
    "    key: '{{uuid}}'",
    '    observe:',
    '      - responseId: $.id',
    "      - http: { path: '/correct/ledger?key={{key}}', count: $.count }",
    `    attacks: { payload-mismatch: { runs: ${RUNS} } }`,
    'settings: { maxRequests: 100000 }',
  ].join('\n');
}

export async function runB5(): Promise<B5Result> {
  const server = await startDemoServer({ flaws: new Set(), processingMs: 0 });
  try {
    const scenario = loadScenarioText(scenarioYaml(), 'b5-mutation-rate.yaml', extensionSchemas(), {
      DEMO_URL: server.url,
    });
    let cases = 0;
    const onEvent = (e: RunEvent): void => {
      // Each case opens with its original request on a fresh key.
      if (e.type === 'exchange' && / original$/.test(e.exchange.label)) cases++;
    };
    const started = performance.now();
    await runAudit({ scenario, attacks, observers, seed: SEED, onEvent });
    const seconds = (performance.now() - started) / 1000;
    return {
      cases,
      seconds: Math.round(seconds * 1000) / 1000,
      casesPerSecond: Math.round((cases / seconds) * 10) / 10,
    };
  } finally {
    await server.close();
  }
}
