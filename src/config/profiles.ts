/**
 * Contract profiles: what a target promises about idempotency keys, as presets that the
 * scenario's `contract` block overrides field by field. Sources: reference/idempotency-standards.md
 * §1.1 (IETF draft -06 §2.6-2.7) and §1.2 (Stripe).
 */
import { OVERHEAD_PERCENTILES, type OverheadPercentile } from '../scenario/types.js';
import type { Contract, ContractProfileName } from '../scenario/types.js';

export type ProfileDefaults = Omit<Contract, 'profile'>;

const DAY_MS = 24 * 3_600_000;

export const PROFILES: Readonly<Record<ContractProfileName, Readonly<ProfileDefaults>>> = {
  // Draft §2.7: missing key SHOULD 400, payload mismatch SHOULD 422, concurrent retry SHOULD 409.
  // §2.6: replay the previous result "success or an error". The draft defines no replay header
  // (open issue #46) and no TTL; 24h is the common choice, not a requirement.
  ietf: {
    keyHeader: 'Idempotency-Key',
    keyRequired: true,
    ttlMs: DAY_MS,
    onMissingKey: [400],
    onMismatch: [422],
    onInFlight: [409],
    inFlightMayWait: false,
    errorsReplayed: true,
    replayHeader: undefined,
    // The draft says nothing about abandoned requests; half a minute is generous for a restart.
    recoveryMs: 30_000,
  },
  // Keys are optional on Stripe, so a keyless request is simply executed. Results (500s
  // included) are saved once execution begins and kept at least 24h. In-flight conflicts are a
  // retryable 409 (stripe-node retries every 409). Mismatch as 400 `idempotency_error` and the
  // `Idempotent-Replayed` header come from secondary sources (marked [U]/[S] in the reference),
  // so scenarios against Stripe-like APIs may need to override them.
  stripe: {
    keyHeader: 'Idempotency-Key',
    keyRequired: false,
    ttlMs: DAY_MS,
    onMissingKey: [],
    onMismatch: [400],
    onInFlight: [409],
    inFlightMayWait: false,
    errorsReplayed: true,
    replayHeader: 'Idempotent-Replayed',
    recoveryMs: 30_000,
  },
  // Everything real implementations are seen to answer (draft issue #42: 409/400 for mismatch,
  // 423 for in-flight, blocking instead of erroring), for auditing the dangerous bugs without
  // arguing about status codes.
  lenient: {
    keyHeader: 'Idempotency-Key',
    keyRequired: true,
    ttlMs: DAY_MS,
    onMissingKey: [400, 422, 428],
    onMismatch: [400, 409, 422],
    onInFlight: [409, 423, 425, 429, 503],
    inFlightMayWait: true,
    errorsReplayed: true,
    replayHeader: undefined,
    // rocket-rides-atomic takes over a lock after 90 s.
    recoveryMs: 90_000,
  },
};

export const PROFILE_NAMES = ['ietf', 'stripe', 'lenient'] as const satisfies readonly ContractProfileName[];

/** The `contract` block after validation: every field optional, durations in ms. */
export interface ContractOverrides {
  profile?: ContractProfileName | undefined;
  keyHeader?: string | undefined;
  keyRequired?: boolean | undefined;
  ttlMs?: number | undefined;
  onMissingKey?: readonly number[] | undefined;
  onMismatch?: readonly number[] | undefined;
  /** `wait`, or statuses possibly mixed with `wait`. */
  onInFlight?: 'wait' | readonly (number | 'wait')[] | undefined;
  errorsReplayed?: boolean | undefined;
  /** null: the target promises no replay header, even if the profile has one. */
  replayHeader?: string | null | undefined;
  /** No profile sets a limit: latency budgets are each API's own. */
  maxOverhead?: Partial<Record<OverheadPercentile, number | undefined>> | undefined;
  recoveryMs?: number | undefined;
}

export function resolveContract(overrides: ContractOverrides | null | undefined): Contract {
  const o = overrides ?? {};
  const profile = o.profile ?? 'ietf';
  const base = PROFILES[profile];
  let onInFlight = dedupe(base.onInFlight);
  let inFlightMayWait = base.inFlightMayWait;
  if (o.onInFlight !== undefined) {
    // Overriding onInFlight replaces the profile's answer whole, including whether waiting is allowed.
    const items = o.onInFlight === 'wait' ? ['wait' as const] : o.onInFlight;
    onInFlight = dedupe(items.filter((x): x is number => typeof x === 'number'));
    inFlightMayWait = items.includes('wait');
  }
  return {
    profile,
    keyHeader: o.keyHeader ?? base.keyHeader,
    keyRequired: o.keyRequired ?? base.keyRequired,
    ttlMs: o.ttlMs ?? base.ttlMs,
    onMissingKey: dedupe(o.onMissingKey ?? base.onMissingKey),
    onMismatch: dedupe(o.onMismatch ?? base.onMismatch),
    onInFlight,
    inFlightMayWait,
    errorsReplayed: o.errorsReplayed ?? base.errorsReplayed,
    replayHeader: o.replayHeader === null ? undefined : (o.replayHeader ?? base.replayHeader),
    recoveryMs: o.recoveryMs ?? base.recoveryMs,
    ...overheadLimits(o.maxOverhead),
  };
}

/** Only declared percentiles, and the field absent when none is, so existing contracts are unchanged. */
function overheadLimits(o: ContractOverrides['maxOverhead']): Pick<Contract, 'maxOverhead'> {
  const limits: Partial<Record<OverheadPercentile, number>> = {};
  for (const p of OVERHEAD_PERCENTILES) {
    const v = o?.[p];
    if (v !== undefined) limits[p] = v;
  }
  return Object.keys(limits).length > 0 ? { maxOverhead: limits } : {};
}

/** Also copies, so no resolved contract shares an array with the presets. */
function dedupe(xs: readonly number[]): number[] {
  return [...new Set(xs)];
}
