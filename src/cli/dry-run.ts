/**
 * `--dry-run`: the plan of a run (endpoints × attacks, estimated requests, sync modes, bounds)
 * without sending anything. Request counts are estimated from the options that drive them; an
 * attack whose count cannot be read off its options says so rather than guess.
 */
import type { RunPlan } from '../engine/prepare-run.js';
import { redactorFor } from '../engine/run-audit.js';
import { commandLine } from '../hooks/runner.js';
import { HOOK_NAMES } from '../scenario/types.js';

function num(options: unknown, field: string): number | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const v = (options as Record<string, unknown>)[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(options: unknown, field: string): string | undefined {
  if (options === null || typeof options !== 'object') return undefined;
  const v = (options as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
}

/** Requests an attack sends to the endpoint itself (observer reads come on top), when its options tell. */
export function estimateRequests(attackId: string, options: unknown): number | undefined {
  const copies = num(options, 'copies');
  const rounds = num(options, 'rounds');
  if (copies !== undefined) return copies * (rounds ?? 1);
  const replays = num(options, 'replays');
  if (replays !== undefined) return 1 + replays;
  // Attacks of a fixed shape whose options carry no count.
  const fixed: Readonly<Record<string, number>> = { 'missing-key': 1, 'distinct-keys': 2 };
  return fixed[attackId];
}

/** The plan as prepared for the real run: same checks, same cells, same bounds. */
export function renderDryRun(d: RunPlan): string {
  const plan = d.cells;
  const rate = d.scenario.settings.rate;
  const rows = plan.map((p) => {
    const n = estimateRequests(p.attack.meta.id, p.options);
    const sync = str(p.options, 'sync');
    return [p.endpoint.name, p.attack.meta.id, n === undefined ? '?' : String(n), sync ?? '-'];
  });
  const header = ['endpoint', 'attack', 'requests', 'sync'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const known = plan.map((p) => estimateRequests(p.attack.meta.id, p.options));
  const total = known.reduce<number>((a, n) => a + (n ?? 0), 0);
  const unknown = known.filter((n) => n === undefined).length;
  const t = d.scenario.target;
  return [
    `dry run: nothing is sent. Plan for ${d.scenario.name} against ${t.baseUrl}${t.environment ? ` (environment: ${t.environment})` : ''}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `${plan.length} attack${plan.length === 1 ? '' : 's'}, about ${total} requests to the endpoints${unknown > 0 ? ` plus ${unknown} attack${unknown === 1 ? '' : 's'} whose count depends on the answers` : ''}; observer reads come on top.`,
    `bounds: at most ${d.maxRequests} requests (--max-requests), ${rate === undefined ? 'no rate limit' : `${rate} requests/s outside bursts`} (--rate), ${d.deadlineMs === undefined ? 'no deadline' : `deadline ${d.deadlineMs} ms`} (--deadline), timeout ${t.timeoutMs} ms per request.`,
    ...hookLines(d),
    '',
  ].join('\n');
}

/** The declared hooks and whether the run would run them (a dry run never does). */
function hookLines(d: RunPlan): string[] {
  const names = HOOK_NAMES.filter((n) => d.hooks.specs[n] !== undefined);
  if (names.length === 0) return [];
  const state = d.hooks.unavailable === undefined ? 'would run' : 'off (start the run with --allow-hooks)';
  // Hook arguments from the environment are secrets like any other (a token for kubectl).
  const red = redactorFor(d.scenario);
  return [
    `hooks: ${state}:`,
    ...names.map((n) => {
      const spec = d.hooks.specs[n];
      return spec ? `  ${n}: ${red.text(commandLine(spec))} (timeout ${spec.timeoutMs} ms)` : '';
    }),
  ];
}
