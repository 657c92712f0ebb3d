/**
 * junit.xml for CI test tabs (GitLab, Jenkins, GitHub test reporters): a suite per endpoint and a
 * case per attack. The file is red exactly when the exit code is (verdict/): a case fails when one
 * of its findings is at or above fail-on (findings below it are listed in its output, the case
 * passes); inconclusive and errored attacks become <error>; and whatever kept the run itself from
 * completing (interrupted, deadline, budget, unreachable target, nothing audited) becomes an
 * <error> of a run-level case, so a pipeline cannot mistake "could not judge" for "passed".
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { AttackResult, AuditResult, BurstStat } from '../result/result.js';
import type { Finding } from '../findings/finding.js';
import { inBaseline } from '../verdict/baseline.js';
import { failsRun } from '../verdict/verdict.js';
import { baselineNote, exportNote } from './finding-notes.js';
import { resultReporter } from './result-reporter.js';

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
    ...(f.baseline ? [baselineNote(f.baseline)] : []),
    `reproduce: ${f.reproduce.command}${f.reproduce.timingDependent ? '  (timing-dependent)' : ''}`,
    ...f.reproduce.curl,
    ...[exportNote(f.reproduce.env)].filter((x) => x !== undefined),
  ].join('\n');
}

function testcase(
  suite: XMLBuilder,
  r: AttackResult,
  findings: readonly Finding[],
  failOn: AuditResult['failOn'],
): void {
  const tc = suite.ele('testcase', {
    name: clean(`${r.attack}: ${r.title}`),
    classname: clean(`idem-audit.${r.endpoint}`),
    time: seconds(r.durationMs),
  });
  const failing = findings.filter((f) => failsRun(f, failOn));
  const below = findings.filter((f) => !failsRun(f, failOn));
  const first = failing[0];
  if (first) {
    const message =
      failing.length === 1
        ? `[${first.severity}] ${first.kind}: ${first.title}`
        : `${failing.length} findings at or above ${failOn}: ${failing.map((f) => `[${f.severity}] ${f.kind}`).join(', ')}`;
    tc.ele('failure', { message: clean(message), type: first.severity }).txt(
      clean(failing.map(failureText).join('\n\n')),
    );
  } else if (r.status === 'skipped') tc.ele('skipped', { message: clean(r.reason ?? 'not applicable') });
  else if (r.status === 'inconclusive' || r.status === 'error')
    tc.ele('error', { message: clean(`${r.status}: ${r.reason ?? 'could not be judged'}`), type: r.status });
  const out = [
    `${r.requests} requests, status ${r.status}`,
    ...below.map((f) =>
      inBaseline(f) ? `[baseline] ${failureText(f)}` : `below fail-on (${failOn}), not failing: ${failureText(f)}`,
    ),
    ...r.notes,
    ...r.bursts.map(burstLine),
  ];
  tc.ele('system-out').txt(clean(out.join('\n')));
}

/** Cases that did not pass, by the same rule as the exit code. */
function tally(
  rows: readonly AttackResult[],
  findingsOf: (r: AttackResult) => Finding[],
  failOn: AuditResult['failOn'],
) {
  const fails = (r: AttackResult): boolean => findingsOf(r).some((f) => failsRun(f, failOn));
  return {
    failures: rows.filter(fails).length,
    errors: rows.filter((r) => !fails(r) && (r.status === 'error' || r.status === 'inconclusive')).length,
    skipped: rows.filter((r) => !fails(r) && r.status === 'skipped').length,
  };
}

/** Why the run as a whole is not green although no case says so (or as well as a case does). */
function runProblems(result: AuditResult): string[] {
  const problems = result.errors.map((e) => `${e.code}: ${e.message}`);
  if (result.status === 'interrupted') problems.unshift('interrupted: the run was stopped before it finished');
  return problems;
}

export function renderJunit(result: AuditResult): string {
  const findingsOf = (r: AttackResult): Finding[] =>
    result.findings.filter((f) => f.endpoint === r.endpoint && f.attack === r.attack);
  const all = tally(result.attacks, findingsOf, result.failOn);
  const problems = runProblems(result);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', {
    name: clean(`idem-audit ${result.scenario.name}`),
    tests: String(result.attacks.length + (problems.length > 0 ? 1 : 0)),
    failures: String(all.failures),
    errors: String(all.errors + (problems.length > 0 ? 1 : 0)),
    time: seconds(result.durationMs),
  });
  const timestamp = result.startedAt.replace(/\.\d+Z$/, '');
  const hostname = clean(new URL(result.target.baseUrl).host);
  const endpoints = [...new Set(result.attacks.map((a) => a.endpoint))];
  for (const ep of endpoints) {
    const rows = result.attacks.filter((a) => a.endpoint === ep);
    const t = tally(rows, findingsOf, result.failOn);
    const suite = root.ele('testsuite', {
      name: clean(ep),
      tests: String(rows.length),
      failures: String(t.failures),
      errors: String(t.errors),
      skipped: String(t.skipped),
      time: seconds(rows.reduce((n, r) => n + r.durationMs, 0)),
      timestamp,
      hostname,
    });
    suite
      .ele('properties')
      .ele('property', { name: 'seed', value: String(result.seed) })
      .up()
      .ele('property', { name: 'target', value: clean(result.target.baseUrl) })
      .up()
      .ele('property', { name: 'failOn', value: result.failOn });
    for (const r of rows) testcase(suite, r, findingsOf(r), result.failOn);
  }
  if (problems.length > 0) {
    const suite = root.ele('testsuite', {
      name: 'idem-audit run',
      tests: '1',
      failures: '0',
      errors: '1',
      skipped: '0',
      time: seconds(result.durationMs),
      timestamp,
      hostname,
    });
    suite
      .ele('testcase', {
        name: clean(`run: ${result.status}`),
        classname: 'idem-audit.run',
        time: seconds(result.durationMs),
      })
      .ele('error', { message: clean(problems[0] ?? result.status), type: result.status })
      .txt(clean(problems.join('\n')));
  }
  return `${root.end({ prettyPrint: true })}\n`;
}

export const junitReporter = resultReporter(
  {
    id: 'junit',
    description: 'JUnit XML: a suite per endpoint, a failure per finding.',
    destination: 'junit.xml',
    selectable: true,
    byDefault: true,
  },
  (result) => renderJunit(result),
);
