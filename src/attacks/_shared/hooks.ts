/**
 * What the attacks that act on the system (process-crash, store-outage) share: whether the hooks
 * they need may run, running one as a step that must succeed, and a client's retry loop after a
 * restart or an outage, which waits for the target to answer at all before it waits for the key.
 */
import type { Exchange } from '../../http/exchange.js';
import { describeHookRun, type HookName, type HookRun } from '../../hooks/types.js';
import type { AttackContext, AttackMeta } from '../types.js';
import { hasStatus } from './describe.js';

/**
 * true when every hook the attack requires is declared and may run; otherwise the attack is
 * skipped (no hooks declared, or the run has no consent, naming the flag) or not audited (some
 * declared, some missing), and false.
 */
export function hooksReady(ctx: AttackContext<unknown>, meta: Pick<AttackMeta<unknown>, 'hooks'>): boolean {
  const required = meta.hooks?.required ?? [];
  const missing = required.filter((h) => !ctx.hooks.declared(h));
  if (required.length > 0 && missing.length === required.length) {
    ctx.skip(
      `the scenario declares no ${required.join(' / ')} hooks (the commands that ${what(required)}): see docs/hooks.md`,
    );
    return false;
  }
  if (ctx.hooks.unavailable !== undefined) {
    ctx.skip(ctx.hooks.unavailable);
    return false;
  }
  if (missing.length > 0) {
    ctx.inconclusive(
      `the scenario declares ${required.filter((h) => !missing.includes(h)).join(', ')} but not ${missing.join(', ')}: add hooks.${missing[0] ?? ''} to the scenario`,
    );
    return false;
  }
  return true;
}

function what(hooks: readonly HookName[]): string {
  return hooks.includes('crash') ? 'kill and restart the target' : 'take its key store down and bring it back';
}

/** Runs a hook that must succeed; when it does not, the attack is not audited, with the hook's own account. */
export async function step(ctx: AttackContext<unknown>, name: HookName): Promise<HookRun | undefined> {
  const r = await ctx.hooks.run(name);
  if (r.ok) return r;
  ctx.inconclusive(`the ${name} hook failed, so nothing could be judged: ${describeHookRun(r)}`);
  return undefined;
}

export interface ServedRetries {
  exchanges: Exchange[];
  /** ms spent waiting for the target to answer at all (connection refused, reset, timeouts, 502-504). */
  waitedForTarget: number;
  /** ms spent waiting while the key was answered with the contract's in-flight status. */
  waitedForKey: number;
}

/** Statuses a restarting target or its load balancer answers while nothing behind it is ready. */
const NOT_READY = [502, 503, 504];

/** No answer, or one that says nothing is serving yet (502-504). */
export function notServing(ex: Exchange | undefined): boolean {
  return ex?.response === undefined || hasStatus(ex, NOT_READY);
}
/** No retry loop runs longer than this many requests, whatever the budgets say. */
const MAX_RETRIES = 200;

/**
 * A client retrying one key after the target went away: through connection errors and 502-504
 * for up to `targetWaitMs` (the target coming back), through the in-flight status for up to
 * `keyWaitMs` (the key being recovered), with backoff (50 ms doubling, at most 1 s apart). Ends at
 * the first other answer, when a budget runs out, or when the run stops.
 */
export async function retryUntilServed(
  ctx: AttackContext<unknown>,
  key: string,
  label: string,
  budgets: { targetWaitMs: number; keyWaitMs: number },
): Promise<ServedRetries> {
  const out: ServedRetries = { exchanges: [], waitedForTarget: 0, waitedForKey: 0 };
  for (let i = 0; i < MAX_RETRIES && !ctx.signal.aborted; i++) {
    const ex = await ctx.send(ctx.request({ label: i === 0 ? label : `${label} #${i + 1}`, key }));
    out.exchanges.push(ex);
    const pause = Math.min(1000, 50 * 2 ** Math.min(i, 10));
    if (notServing(ex)) {
      if (out.waitedForTarget >= budgets.targetWaitMs) break;
      const p = Math.min(pause, budgets.targetWaitMs - out.waitedForTarget);
      out.waitedForTarget += p;
      await ctx.sleep(p);
    } else if (hasStatus(ex, ctx.contract.onInFlight)) {
      if (out.waitedForKey >= budgets.keyWaitMs) break;
      const p = Math.min(pause, budgets.keyWaitMs - out.waitedForKey);
      out.waitedForKey += p;
      await ctx.sleep(p);
    } else break;
  }
  return out;
}
