/**
 * What the hooks broke and must be brought back: after `storeDown` (even one that failed half-way)
 * the store must come up again, after `crash` the target must be restarted. Marked before the
 * command runs, cleared only by a successful storeUp or restart. Shared by the runner and the
 * attack kit's fake, so both restore by the same rule.
 */
import type { HookName } from '../scenario/types.js';

export type Restorable = 'storeUp' | 'restart';

/** In the order a restore runs them: the store first, since a restarted target needs it. */
const ORDER: readonly Restorable[] = ['storeUp', 'restart'];

export class PendingRestores {
  readonly #pending = new Set<Restorable>();

  /** Before `name` runs. */
  starting(name: HookName): void {
    if (name === 'storeDown') this.#pending.add('storeUp');
    if (name === 'crash') this.#pending.add('restart');
  }

  /** After `name` ran, successfully or not. */
  finished(name: HookName, ok: boolean): void {
    if (ok && (name === 'storeUp' || name === 'restart')) this.#pending.delete(name);
  }

  list(): Restorable[] {
    return ORDER.filter((h) => this.#pending.has(h));
  }
}
