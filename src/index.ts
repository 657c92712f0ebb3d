/**
 * The programmatic API. Everything else in the package is internal.
 */
export { attacks, DEFAULT_SUITE } from './attacks/index.js';
export type { Attack, AttackContext, AttackMeta } from './attacks/types.js';
export { runAudit, exitCodeOf, planAudit, type AuditOptions } from './engine/run-audit.js';
export type { AuditResult, AttackResult, AttackStatus, RunStatus } from './engine/result.js';
export type { RunEvent } from './engine/events.js';
export * from './errors/errors.js';
export type { Finding } from './findings/finding.js';
export type { Severity } from './findings/severity.js';
export type { Exchange } from './http/exchange.js';
export { observers } from './observers/index.js';
export type { Observer } from './observers/types.js';
export { reporters } from './reporters/index.js';
export type { ResolvedScenario } from './scenario/types.js';
export { startDemoServer, parseFlaws, FLAWS } from './demo/index.js';
