/**
 * A client's retry loop: one retry, repeated with backoff (50 ms doubling, at most 1 s apart)
 * while the target answers with the contract's in-flight status, for at most `maxWaitMs` of
 * waiting. The run's `--max-wait` caps it too, so no attack waits on the target's clock longer
 * than the user allowed.
 */
import type { Exchange } from '../../http/exchange.js';
import type { AttackContext } from '../types.js';
import { hasStatus } from './describe.js';

/** How long this attack may wait: its own option, capped by the run's --max-wait. */
export function waitBudget(ctx: { readonly maxWaitMs?: number }, optionMs: number): number {
  return Math.min(optionMs, ctx.maxWaitMs ?? optionMs);
}

/** `first`: the first retry, when the caller already sent it (e.g. inside an exclusive section). */
export async function retryUntilSettled(
  ctx: AttackContext<{ maxWaitMs: number }>,
  key: string,
  label: string,
  first?: Exchange,
): Promise<Exchange[]> {
  const budget = waitBudget(ctx, ctx.options.maxWaitMs);
  const out = [first ?? (await ctx.send(ctx.request({ label, key })))];
  let waited = 0;
  for (let i = 0; ; i++) {
    const last = out[out.length - 1];
    if (!last || !hasStatus(last, ctx.contract.onInFlight) || waited >= budget) return out;
    const pause = Math.min(1000, 50 * 2 ** i, budget - waited);
    await ctx.sleep(pause);
    waited += pause;
    out.push(await ctx.send(ctx.request({ label: `${label} #${i + 2}`, key })));
  }
}
