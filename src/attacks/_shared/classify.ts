/**
 * How a reused key with a different request was handled (IK-17, IK-18). Shared by the attacks
 * that send mismatching requests, so each judges the answer the same way.
 */
import { isSuccess, type Exchange } from '../../http/exchange.js';
import type { Contract } from '../../scenario/types.js';

export type MismatchVerdict =
  | { readonly kind: 'pass' }
  /** Cannot judge this case (no answer, or the changed request is rejected on its own). */
  | { readonly kind: 'discard'; readonly reason: string }
  | { readonly kind: 'mismatch-executed' | 'mismatch-replayed' | 'mismatch-status'; readonly detail: string };

export interface MismatchFacts {
  readonly mutated: Exchange;
  /** Side effects counted for the key after the mismatching request. */
  readonly effects: number;
  readonly contract: Contract;
  /** The method changed: another route, so running independently is fine (IK-18) and 404/405 say so. */
  readonly methodChanged: boolean;
  /** Only the content type changed: identical bytes may legitimately be the same request. */
  readonly contentTypeOnly: boolean;
}

/** Statuses that say "no such route for this method", not "this key was misused". */
const NO_ROUTE = [404, 405, 501];

/**
 * The verdict before a control request: `needsControl` when the answer is a rejection outside
 * `onMismatch`, which is only a finding if the changed request is acceptable on its own.
 */
export function classifyMismatch(f: MismatchFacts): MismatchVerdict | { readonly kind: 'needs-control' } {
  const res = f.mutated.response;
  if (!res) return { kind: 'discard', reason: 'no answer' };
  if (f.effects > 1) {
    return f.methodChanged
      ? { kind: 'pass' }
      : { kind: 'mismatch-executed', detail: `answered ${res.status} and executed a second time` };
  }
  if (isSuccess(f.mutated)) {
    if (f.contentTypeOnly) return { kind: 'discard', reason: 'same bytes under another content type replayed' };
    return { kind: 'mismatch-replayed', detail: `answered ${res.status} with the stored response` };
  }
  if (f.contract.onMismatch.includes(res.status)) return { kind: 'pass' };
  if (f.methodChanged && NO_ROUTE.includes(res.status)) return { kind: 'discard', reason: `no route (${res.status})` };
  return { kind: 'needs-control' };
}

/** The control: the same changed request with a fresh key. Accepted there means the rejection was about the key. */
export function judgeControl(mutated: Exchange, control: Exchange, contract: Contract): MismatchVerdict {
  if (!control.response) return { kind: 'discard', reason: 'the control request got no answer' };
  if (!isSuccess(control)) {
    return { kind: 'discard', reason: `the changed request is rejected on its own (${control.response.status})` };
  }
  return {
    kind: 'mismatch-status',
    detail: `answered ${mutated.response?.status ?? 'nothing'} (expected ${contract.onMismatch.join('/')}); with a fresh key the same request is accepted (${control.response.status})`,
  };
}
