/**
 * Runs a small audit against a hostile target through the real CLI (in-process) and hands back
 * everything it produced: exit code, terminal output, report.json and the exchange events.
 * The scenario keeps every bound low (1 s timeout, tiny attacks) so a hang shows up as a
 * test timeout rather than a slow suite.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditResult } from '../../src/result/result.js';
import type { Exchange } from '../../src/http/exchange.js';
import { cli } from '../helpers/cli.js';

export interface HostileRun {
  code: number;
  stdout: string;
  stderr: string;
  report: AuditResult & { exitCode: number };
  exchanges: Exchange[];
  wallMs: number;
}

export interface HostileScenario {
  url: string;
  /** Adds an http observer reading `$.count` from `/ledger?key=…`. */
  ledger?: boolean;
  timeout?: string;
  bodyCap?: number;
  attacks?: string;
  /** Extra observe list items (YAML lines, indented for the list). */
  observe?: string;
}

const DEFAULT_ATTACKS = `
      sequential-replay: { replays: 1, delayMs: 0, inFlightRetries: 0 }
      concurrent-burst: { copies: 3, rounds: 1 }`;

export function hostileScenario(s: HostileScenario): string {
  return `version: 1
name: hostile
target:
  baseUrl: ${s.url}
  timeout: ${s.timeout ?? '1s'}
endpoints:
  pay:
    request: { method: POST, path: /pay, body: { amount: 1 } }
    observe:
      - responseId: $.id
${s.ledger ? "      - http: { path: '/ledger?key={{key}}', count: $.count }\n" : ''}${s.observe ?? ''}    suite: none
    attacks:${s.attacks ?? DEFAULT_ATTACKS}
settings:
  bodyCap: ${s.bodyCap ?? 4096}
  seed: 1
`;
}

export async function auditHostile(
  s: HostileScenario,
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<HostileRun> {
  const dir = mkdtempSync(join(tmpdir(), 'idem-audit-hostile-'));
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, hostileScenario(s));
  const out = join(dir, 'report');
  const t0 = Date.now();
  const r = await cli(['run', file, '--out', out, ...extraArgs], { env });
  const wallMs = Date.now() - t0;
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as HostileRun['report'];
  const exchanges = readFileSync(join(out, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; exchange?: Exchange })
    .flatMap((e) => (e.type === 'exchange' && e.exchange ? [e.exchange] : []));
  return { ...r, report, exchanges, wallMs };
}
