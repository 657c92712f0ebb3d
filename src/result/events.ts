/** What the engine tells reporters while it runs (the ndjson event stream, live progress). */
import type { Finding } from '../findings/finding.js';
import type { Exchange } from '../http/exchange.js';
import type { AttackResult } from './result.js';

export type RunEvent =
  | { type: 'run-start'; at: string; scenario: string; seed: number; keySalt: string; attacks: number }
  /** `lane`: which of the run's parallel lanes runs it (1 in a serial run), so interleaved events read apart. */
  | { type: 'attack-start'; attack: string; endpoint: string; lane?: number }
  | { type: 'exchange'; exchange: Exchange }
  | { type: 'finding'; finding: Finding }
  | { type: 'attack-end'; result: AttackResult }
  | { type: 'run-end'; status: string; findings: number; requests: number };
