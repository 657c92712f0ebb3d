/** The demo target: a payments API whose idempotency layer can be switched to each flaw idem-audit hunts. */
export { DemoConfigError, FLAWS, FLAW_DESCRIPTIONS, VARIANTS, isFlawId, parseFlaws } from './flaws.js';
export type { DemoVariant, FlawId } from './flaws.js';
export { ARRIVAL_HEADER, BODY_LIMIT_BYTES, DEMO_DEFAULTS, startDemoServer } from './server.js';
export type { DemoOptions, DemoServer } from './server.js';
export { startDemoH2Server } from './h2.js';
export type { DemoH2Options, DemoH2Server } from './h2.js';
export { MemoryKeyStore } from './store.js';
export type {
  DoneRecord,
  InFlightRecord,
  KeyRecord,
  KeyStore,
  Reservation,
  ReserveResult,
  Scope,
  StoredResponse,
} from './store.js';
export { MemoryLedger } from './ledger.js';
export type { EffectKind, Ledger, LedgerRow, NewLedgerEntry } from './ledger.js';
export { CORRECT_POLICY, KEY_MAX_LENGTH, canonicalJson, isValidKey } from './idempotency.js';
export type { LayerPolicy } from './idempotency.js';
export { TRUNCATED_KEY_LENGTH, policyFor } from './policies.js';
