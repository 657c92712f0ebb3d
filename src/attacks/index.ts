/**
 * The attack registry: one entry per attack, sorted by id. The key is the id used in
 * scenarios, on the command line, and as the docs page name.
 */
import { concurrentBurst } from './concurrent-burst.js';
import { distinctKeys } from './distinct-keys.js';
import { missingKey } from './missing-key.js';
import { sequentialReplay } from './sequential-replay.js';
import type { Attack } from './types.js';

export const attacks: Readonly<Record<string, Attack>> = {
  'concurrent-burst': concurrentBurst,
  'distinct-keys': distinctKeys,
  'missing-key': missingKey,
  'sequential-replay': sequentialReplay,
};

/** What runs when an endpoint names no attacks: catalogue order (DESIGN.md §4). */
export const DEFAULT_SUITE: readonly string[] = [
  'concurrent-burst',
  'sequential-replay',
  'distinct-keys',
  'missing-key',
];
