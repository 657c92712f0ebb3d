/** Which reporters a command runs: what --reporter chose, plus those that run by their own rule. */
import { UsageError } from '../errors/errors.js';
import { reporters } from './index.js';
import type { ReporterDefinition, ReporterEnvironment } from './types.js';

/** The ids --reporter accepts, sorted. */
export function selectableReporterIds(): string[] {
  return Object.values(reporters)
    .filter((r) => r.meta.selectable)
    .map((r) => r.meta.id);
}

/** Stands for every selectable reporter that is on by default: `--reporter default,sarif` adds one. */
export const DEFAULT_REPORTERS = 'default';

/**
 * The reporters to run, in registry order: those `ids` names (every selectable one on by default
 * when `ids` is empty or absent, or where it says `default`) and those not chosen with --reporter,
 * each if its rule allows it in `env`. An id --reporter does not accept is a usage error.
 */
export function selectReporters(ids: readonly string[] | undefined, env: ReporterEnvironment): ReporterDefinition[] {
  const defaults = Object.values(reporters)
    .filter((r) => r.meta.selectable && r.meta.byDefault)
    .map((r) => r.meta.id);
  const chosen =
    ids && ids.length > 0 ? new Set(ids.flatMap((id) => (id === DEFAULT_REPORTERS ? defaults : [id]))) : undefined;
  const hint = `--reporter accepts: ${selectableReporterIds().join(', ')} (${DEFAULT_REPORTERS}: ${defaults.join(', ')})`;
  for (const id of chosen ?? []) {
    const known = Object.hasOwn(reporters, id) ? reporters[id] : undefined;
    if (!known) throw new UsageError(`--reporter: unknown reporter '${id}'`, hint);
    if (!known.meta.selectable)
      throw new UsageError(`--reporter: '${id}' is not chosen with --reporter: ${known.meta.description}`, hint);
  }
  return Object.values(reporters).filter(
    (r) => (r.meta.selectable && chosen ? chosen.has(r.meta.id) : r.meta.byDefault) && (r.enabled?.(env) ?? true),
  );
}
