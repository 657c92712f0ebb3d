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
  if (attackId === 'race-window') {
    // At most: the duration probe, then every gap (some are dropped once the probe's duration is known).
    const gaps = options !== null && typeof options === 'object' ? (options as Record<string, unknown>)['gapsMs'] : [];
    const n = Array.isArray(gaps) ? new Set(gaps).size : 0;
    return 1 + (num(options, 'copies') ?? 2) * (num(options, 'rounds') ?? 1) * n;
  }
  if (attackId === 'eviction') return 3 * (num(options, 'keys') ?? 0) + (num(options, 'requests') ?? 0);
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
    ...setupLines(d),
    `bounds: at most ${d.maxRequests} requests (--max-requests), ${rate === undefined ? 'no rate limit' : `${rate} requests/s outside bursts`} (--rate), ${d.deadlineMs === undefined ? 'no deadline' : `deadline ${d.deadlineMs} ms`} (--deadline), timeout ${t.timeoutMs} ms per request.`,
    d.concurrency === 1
      ? 'lanes: 1 (--concurrency): endpoints one after another, in this order.'
      : `lanes: up to ${d.concurrency} endpoints at once (--concurrency), longest expected first; bursts and other timing-dependent sends have the target to themselves.${disruptiveNote(d)}`,
    ...hookLines(d),
    '',
  ].join('\n');
}

/** Attacks that run hooks disrupt the whole target: they wait for every lane (engine/lanes.ts). */
function disruptiveNote(d: RunPlan): string {
  const ids = [...new Set(d.cells.filter((c) => c.attack.meta.hooks !== undefined).map((c) => c.attack.meta.id))];
  return ids.length === 0
    ? ''
    : ` ${ids.join(', ')} run${ids.length === 1 ? 's' : ''} last, alone, once every lane is done.`;
}

/** What setup and teardown add to the plan (counted against --max-requests too), when the scenario has any. */
function setupLines(d: RunPlan): string[] {
  const s = d.scenario;
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (s.setup?.length) parts.push(`${count(s.setup.length, 'scenario step')} once`);
  const planned = new Set(d.cells.map((c) => c.endpoint.name));
  for (const e of s.endpoints) {
    if (!planned.has(e.name) || !e.setup?.length) continue;
    const run = e.setup.filter((x) => x.per === 'run').length;
    const op = e.setup.length - run;
    const each = [
      run > 0 ? `${count(run, 'step')} once` : '',
      op > 0 ? `${count(op, 'step')} per operation (each fresh key)` : '',
    ]
      .filter((x) => x !== '')
      .join(', ');
    parts.push(`${e.name}: ${each}`);
  }
  if (parts.length === 0) return [];
  const teardown = (s.teardown?.length ?? 0) + s.endpoints.reduce((n, e) => n + (e.teardown?.length ?? 0), 0);
  return [
    `setup requests come on top: ${parts.join('; ')}${teardown > 0 ? `; teardown after the audit (${count(teardown, 'step')}, at most 30 s)` : ''}.`,
  ];
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
