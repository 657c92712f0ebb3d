/**
 * The attack registry: one entry per attack, sorted by id. The key is the id used in
 * scenarios, on the command line, and as the docs page name.
 */
import { clientTimeoutRetry } from './client-timeout-retry.js';
import { concurrentBurst } from './concurrent-burst.js';
import { connectionDrop } from './connection-drop.js';
import { crossEndpoint } from './cross-endpoint.js';
import { crossNodeBurst } from './cross-node-burst.js';
import { crossPrincipal } from './cross-principal.js';
import { distinctKeys } from './distinct-keys.js';
import { equivalentPayload } from './equivalent-payload.js';
import { eviction } from './eviction.js';
import { inFlightDuplicate } from './in-flight-duplicate.js';
import { keyFormat } from './key-format.js';
import { latencyOverhead } from './latency-overhead.js';
import { missingKey } from './missing-key.js';
import { partialFailure } from './partial-failure.js';
import { payloadMismatch } from './payload-mismatch.js';
import { processCrash } from './process-crash.js';
import { raceWindow } from './race-window.js';
import { rejectedThenValid } from './rejected-then-valid.js';
import { sequentialReplay } from './sequential-replay.js';
import { storeAudit } from './store-audit.js';
import { storeOutage } from './store-outage.js';
import { ttlProbe } from './ttl-probe.js';
import type { Attack } from './types.js';

export const attacks: Readonly<Record<string, Attack>> = {
  'client-timeout-retry': clientTimeoutRetry,
  'concurrent-burst': concurrentBurst,
  'connection-drop': connectionDrop,
  'cross-endpoint': crossEndpoint,
  'cross-node-burst': crossNodeBurst,
  'cross-principal': crossPrincipal,
  'distinct-keys': distinctKeys,
  'equivalent-payload': equivalentPayload,
  eviction: eviction,
  'in-flight-duplicate': inFlightDuplicate,
  'key-format': keyFormat,
  'latency-overhead': latencyOverhead,
  'missing-key': missingKey,
  'partial-failure': partialFailure,
  'payload-mismatch': payloadMismatch,
  'process-crash': processCrash,
  'race-window': raceWindow,
  'rejected-then-valid': rejectedThenValid,
  'sequential-replay': sequentialReplay,
  'store-audit': storeAudit,
  'store-outage': storeOutage,
  'ttl-probe': ttlProbe,
};

/** What runs when an endpoint names no attacks: catalogue order (DESIGN.md §4). */
export const DEFAULT_SUITE: readonly string[] = [
  'concurrent-burst',
  'cross-node-burst',
  'sequential-replay',
  'distinct-keys',
  'payload-mismatch',
  'equivalent-payload',
  'in-flight-duplicate',
  'client-timeout-retry',
  'connection-drop',
  'partial-failure',
  'ttl-probe',
  'rejected-then-valid',
  'cross-principal',
  'cross-endpoint',
  'missing-key',
  'key-format',
];
