/**
 * A check an attack could not judge within its run, because its moment comes later than the run
 * may wait (a key that must still be remembered 22 hours from now). report.json keeps it with the
 * time it falls due; `idem-audit verify` runs the same attack on the same endpoint later and hands
 * the checks back (`ctx.deferred`), and the attack judges those that are due by its usual rules.
 * A pending check is never a pass.
 */
import type { Exchange } from '../http/exchange.js';
import type { JsonValue } from '../scenario/types.js';

export interface PendingCheck {
  /** Unique among the checks of one attack on one endpoint. */
  id: string;
  /** When it can be judged, as an ISO date-time. */
  dueAt: string;
  /** What it will check, in a line, for reports and `verify`'s output. */
  description: string;
  /**
   * The exchanges of the earlier run it rests on, as the engine recorded them (so redacted): the
   * observers count them with the new ones, so a second write shows whoever witnessed the first.
   */
  exchanges: Exchange[];
  /** The attack's own data for judging it (keys, ages, the TTL it was planted under). */
  data: JsonValue;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether a value read back from a report has the shape of a PendingCheck (its exchanges are trusted as written). */
export function isPendingCheck(v: unknown): v is PendingCheck {
  return (
    isRecord(v) &&
    typeof v['id'] === 'string' &&
    typeof v['dueAt'] === 'string' &&
    !Number.isNaN(Date.parse(v['dueAt'])) &&
    typeof v['description'] === 'string' &&
    Array.isArray(v['exchanges']) &&
    v['exchanges'].every((e) => isRecord(e) && isRecord(e['request']) && isRecord(e['timings'])) &&
    'data' in v
  );
}
