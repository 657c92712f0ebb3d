/**
 * The result of a real full demo run (`idem-audit demo --seed 7 --key-salt base0`: 31 endpoints, 360
 * endpoint × attack cells, 52 findings), so the size and width limits of the reports are tested on what a user actually
 * gets without a 30-second audit. Recorded from the run's report.json and trimmed of what the
 * terminal and summary.md do not show, to keep the file small: each finding's exchanges, curl
 * lines and side-effect evidence lists, and the per-request burst timelines. Everything else is
 * as the run wrote it. report.html is checked on a live demo run (test/browser).
 */
import { readFileSync } from 'node:fs';
import type { AuditResult } from '../../result/result.js';

export function fullDemoResult(): AuditResult & { exitCode: number } {
  return JSON.parse(readFileSync(new URL('./full-demo-report.json', import.meta.url), 'utf8')) as AuditResult & {
    exitCode: number;
  };
}
