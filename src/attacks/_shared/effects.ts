/** Side effects for a key, with a note for the report when the answers and the records disagree. */
import type { SideEffects } from '../types.js';

export async function countWrites(
  ctx: { sideEffects(key: string): Promise<SideEffects>; note(text: string): void },
  key: string,
): Promise<SideEffects> {
  const effects = await ctx.sideEffects(key);
  if (effects.disputed !== undefined) ctx.note(effects.disputed);
  return effects;
}
