/**
 * junit.xml for CI test tabs (GitLab, Jenkins, GitHub test reporters): a suite per endpoint, a
 * case per attack, a failure per finding. Inconclusive and errored attacks become <error> so a
 * pipeline cannot mistake "could not judge" for "passed".
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { AttackResult, AuditResult, BurstStat } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import type { Reporter } from './types.js';

/** XML 1.0 cannot carry most control characters, even escaped; a target may send them. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function burstLine(b: BurstStat): string {
  const release = b.releaseSpreadMs === undefined ? 'n/a' : `${b.releaseSpreadMs.toFixed(2)} ms`;
  const arrival = b.arrivalSpreadMs === undefined ? 'n/a' : `${b.arrivalSpreadMs.toFixed(2)} ms`;
  const outcomes = (b.timeline ?? []).map((r) => r.outcome);
  const tally = [...new Set(outcomes)].map((o) => `${o}×${outcomes.filter((x) => x === o).length}`).join(' ');
  const sync = b.sync !== undefined ? ` (${b.sync})` : '';
  return `burst ${b.id}: ${b.size} requests${sync}, release spread ${release}, server arrival spread ${arrival}${tally ? `, answers ${tally}` : ''}`;
}

function failureText(f: Finding): string {
  return [
    `${f.title}: ${f.message}`,
    `expected: ${f.expected}`,
    `observed: ${f.observed}`,
    ...(f.sideEffects ? [`side effects: expected ${f.sideEffects.expected}, observed ${f.sideEffects.observed}`] : []),
    `fix: ${f.remediation}`,
    `fingerprint: ${f.fingerprint}`,
    `reproduce: ${f.reproduce.command}${f.reproduce.timingDependent ? '  (timing-dependent)' : ''}`,
    ...f.reproduce.curl,
  ].join('\n');
}

function testcase(suite: XMLBuilder, r: AttackResult, findings: readonly Finding[]): void {
  const tc = suite.ele('testcase', {
    name: clean(`${r.attack}: ${r.title}`),
    classname: clean(`idem-audit.${r.endpoint}`),
    time: seconds(r.durationMs),
  });
  for (const f of findings) {
    tc.ele('failure', { message: clean(`[${f.severity}] ${f.kind}: ${f.title}`), type: f.severity }).txt(
      clean(failureText(f)),
    );
  }
  if (findings.length === 0) {
    if (r.status === 'skipped') tc.ele('skipped', { message: clean(r.reason ?? 'not applicable') });
    else if (r.status === 'inconclusive' || r.status === 'error')
      tc.ele('error', { message: clean(`${r.status}: ${r.reason ?? 'could not be judged'}`), type: r.status });
  }
  const out = [`${r.requests} requests, status ${r.status}`, ...r.notes, ...r.bursts.map(burstLine)];
  tc.ele('system-out').txt(clean(out.join('\n')));
}

export function renderJunit(result: AuditResult): string {
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: clean(`idem-audit ${result.scenario.name}`),
    tests: String(result.attacks.length),
    failures: String(result.findings.length),
    errors: String(result.summary.attacks.error + result.summary.attacks.inconclusive),
    time: seconds(result.durationMs),
  });
  const endpoints = [...new Set(result.attacks.map((a) => a.endpoint))];
  for (const ep of endpoints) {
    const rows = result.attacks.filter((a) => a.endpoint === ep);
    const findingsOf = (r: AttackResult): Finding[] =>
      result.findings.filter((f) => f.endpoint === r.endpoint && f.attack === r.attack);
    const errors = rows.filter(
      (r) => findingsOf(r).length === 0 && (r.status === 'error' || r.status === 'inconclusive'),
    );
    const suite = root.ele('testsuite', {
      name: clean(ep),
      tests: String(rows.length),
      failures: String(rows.reduce((n, r) => n + findingsOf(r).length, 0)),
      errors: String(errors.length),
      skipped: String(rows.filter((r) => findingsOf(r).length === 0 && r.status === 'skipped').length),
      time: seconds(rows.reduce((n, r) => n + r.durationMs, 0)),
      timestamp: result.startedAt.replace(/\.\d+Z$/, ''),
      hostname: clean(new URL(result.target.baseUrl).host),
    });
    suite
      .ele('properties')
      .ele('property', { name: 'seed', value: String(result.seed) })
      .up()
      .ele('property', { name: 'target', value: clean(result.target.baseUrl) })
      .up()
      .ele('property', { name: 'failOn', value: result.failOn });
    for (const r of rows) testcase(suite, r, findingsOf(r));
  }
  return `${root.end({ prettyPrint: true })}\n`;
}

export const junitReporter: Reporter = {
  meta: {
    id: 'junit',
    description: 'JUnit XML: a suite per endpoint, a failure per finding.',
    destination: 'junit.xml',
  },
  render(result) {
    return renderJunit(result);
  },
};
