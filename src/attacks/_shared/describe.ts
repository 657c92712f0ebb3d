/** Wording helpers shared by attacks, so every report describes answers the same way. */
import { outcomeOf, type Exchange } from '../../http/exchange.js';

/** `201×1, 409×19` — answers grouped by status or transport error, in first-seen order. */
export function outcomeHistogram(exchanges: readonly Exchange[]): string {
  const counts = new Map<string, number>();
  for (const ex of exchanges) counts.set(outcomeOf(ex), (counts.get(outcomeOf(ex)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}×${n}`).join(', ');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function isServerError(ex: Exchange): boolean {
  return ex.response !== undefined && ex.response.status >= 500;
}

export function hasStatus(ex: Exchange, statuses: readonly number[]): boolean {
  return ex.response !== undefined && statuses.includes(ex.response.status);
}
