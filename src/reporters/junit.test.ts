import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { auditDemo } from '../../test/helpers/audit-demo.js';
import type { AuditResult } from '../result/result.js';
import fc from 'fast-check';
import { SEVERITIES } from '../scenario/severity.js';
import { exitCodeOf } from '../verdict/exit-codes.js';
import { failsRun, nothingAuditedReason, runStatusOf, summarize, type RunStop } from '../verdict/verdict.js';
import { renderJunit } from './junit.js';

const XSD = fileURLToPath(new URL('../../test/fixtures/junit.xsd', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'idem-junit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * xmllint exits non-zero and names the offending element when the document breaks the schema, and
 * says `validates` when it holds. Without xmllint nothing is checked, so its absence fails every
 * test that validates, the negative one included, rather than letting them pass on a missing tool.
 */
function validate(xml: string): { ok: boolean; output: string } {
  const file = join(work, `junit-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  // 0: valid; 1: not well-formed XML; 3, 4: breaks the schema. Anything else (5: the schema did
  // not compile, or no xmllint at all) means nothing was checked.
  if (r.error || ![0, 1, 3, 4].includes(r.status ?? -1))
    throw new Error(
      r.error
        ? `xmllint could not run (${r.error.message}): install libxml2-utils (.ci/run does); the JUnit schema tests cannot pass without it`
        : `xmllint could not validate against ${XSD}: ${r.stderr.trim()}`,
    );
  if (r.status === 0) expect(r.stderr).toContain(`${file} validates`);
  return { ok: r.status === 0, output: r.stderr };
}

describe('junit.xml', () => {
  it('validates against the JUnit schema and carries a failure per finding', async () => {
    // Attacks whose results carry notes, bursts and several statuses; the full demo is the HTML test's.
    const result = await auditDemo({
      flaws: 'all',
      seed: 5,
      // cross-node-burst skips (one node): a skipped test case.
      only: [
        'concurrent-burst',
        'sequential-replay',
        'missing-key',
        'distinct-keys',
        'cross-endpoint',
        'cross-node-burst',
      ],
    });
    const xml = renderJunit(result);
    const v = validate(xml);
    expect(v.output).not.toContain('fails to validate');
    expect(v.ok).toBe(true);
    const endpoints = new Set(result.attacks.map((a) => a.endpoint));
    expect(xml.match(/<testsuite /g)?.length).toBe(endpoints.size);
    expect(xml.match(/<testcase /g)?.length).toBe(result.attacks.length);
    const failingCells = new Set(
      result.findings.filter((f) => failsRun(f, result.failOn)).map((f) => `${f.endpoint}/${f.attack}`),
    );
    expect(xml.match(/<failure /g)?.length ?? 0).toBe(failingCells.size);
    for (const f of result.findings) expect(xml).toContain(`fingerprint: ${f.fingerprint}`);
    expect(xml).toContain('<skipped message=');
    expect(xml).toMatch(/burst \d+: 10 requests( \([a-z0-9-]+\))?, release spread/);
  }, 120_000);

  it('stays valid with skipped, inconclusive attacks and hostile text', () => {
    const base: AuditResult = {
      schemaVersion: 1,
      tool: { name: 'idem-audit', version: '0.0.0' },
      scenario: { name: 'x<y>&"z"', file: 'x.yaml' },
      target: { baseUrl: 'http://127.0.0.1:1', nodes: [] },
      contract: {
        profile: 'ietf',
        keyHeader: 'Idempotency-Key',
        keyRequired: true,
        ttlMs: 1000,
        onMissingKey: [400],
        onMismatch: [422],
        onInFlight: [409],
        inFlightMayWait: false,
        errorsReplayed: false,
        replayHeader: undefined,
        recoveryMs: 30_000,
      },
      status: 'incomplete',
      seed: 1,
      failOn: 'high',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      requests: 2,
      summary: {
        findings: { info: 0, low: 0, medium: 0, high: 0, critical: 0 },
        attacks: { passed: 0, failed: 0, skipped: 1, inconclusive: 1, error: 0 },
      },
      attacks: [
        {
          attack: 'a',
          endpoint: 'e]]><x>',
          title: 't',
          status: 'skipped',
          reason: 'no key \u0001\u0007 </testcase>',
          notes: [],
          requests: 0,
          durationMs: 0,
          findings: 0,
          bursts: [],
        },
        {
          attack: 'b',
          endpoint: 'e]]><x>',
          title: 't',
          status: 'inconclusive',
          reason: 'timeouts',
          notes: ['n'],
          requests: 2,
          durationMs: 3,
          findings: 0,
          bursts: [{ id: 1, size: 2, releaseSpreadMs: undefined, arrivalSpreadMs: 0.5 }],
        },
      ],
      findings: [],
      errors: [],
    };
    const xml = renderJunit(base);
    expect(validate(xml).ok).toBe(true);
    expect(xml).toContain('<skipped message=');
    expect(xml).toContain('<error message="inconclusive: timeouts"');
    expect(xml).not.toContain('\u0001');
  });

  it('is rejected by the schema when a required attribute is missing (the check can fail)', () => {
    const v = validate('<testsuites><testsuite tests="1"><testcase/></testsuite></testsuites>');
    expect(v.ok).toBe(false);
    expect(v.output).toContain('fails to validate');
    expect(v.output).toMatch(/attribute 'name' is required/);
  });

  it('is red exactly when the exit code is: failing cases, errored cases, or a run-level problem', () => {
    const statusArb = fc.constantFrom('passed', 'failed', 'skipped', 'inconclusive', 'error');
    const cellArb = fc.record({
      status: statusArb,
      findings: fc.array(fc.constantFrom(...SEVERITIES), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(cellArb, { maxLength: 6 }),
        fc.constantFrom<RunStop>(undefined, 'interrupt', 'cut-short'),
        fc.constantFrom(...SEVERITIES),
        (cells, stop, failOn) => {
          const attacks = cells.map((c, i) => ({
            attack: `a${i}`,
            endpoint: i % 2 === 0 ? 'even' : 'odd',
            title: 't',
            status:
              c.findings.length > 0 ? ('failed' as const) : c.status === 'failed' ? ('passed' as const) : c.status,
            notes: [],
            requests: 1,
            durationMs: 1,
            findings: c.findings.length,
            bursts: [],
          }));
          const findings = cells.flatMap((c, i) =>
            c.findings.map((severity, j) => ({
              ...sampleFinding,
              attack: `a${i}`,
              endpoint: i % 2 === 0 ? 'even' : 'odd',
              severity,
              fingerprint: `f${i}-${j}`,
            })),
          );
          const nothing = stop === undefined ? nothingAuditedReason(attacks) : undefined;
          const result: AuditResult = {
            ...emptyResult,
            failOn,
            status: runStatusOf(attacks, stop),
            attacks,
            findings,
            summary: summarize(attacks, findings),
            errors: [
              ...(stop === 'cut-short' ? [{ code: 'IDEM_DEADLINE_REACHED', message: 'deadline' }] : []),
              ...(nothing ? [{ code: 'IDEM_NOTHING_AUDITED', message: nothing }] : []),
            ],
          };
          const xml = renderJunit(result);
          const head = /<testsuites [^>]*failures="(\d+)" errors="(\d+)"/.exec(xml);
          const red = Number(head?.[1]) + Number(head?.[2]) > 0;
          expect(red).toBe(exitCodeOf(result) !== 0);
          expect(Number(head?.[1])).toBe(
            new Set(findings.filter((f) => failsRun(f, failOn)).map((f) => f.attack)).size,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lists findings below fail-on in the case output without failing it', () => {
    const low = { ...sampleFinding, severity: 'low' as const };
    const attacks = [
      {
        attack: 'missing-key',
        endpoint: 'e',
        title: 't',
        status: 'failed' as const,
        notes: [],
        requests: 1,
        durationMs: 1,
        findings: 1,
        bursts: [],
      },
    ];
    const result: AuditResult = {
      ...emptyResult,
      status: 'completed',
      attacks,
      findings: [low],
      summary: summarize(attacks, [low]),
    };
    const xml = renderJunit(result);
    expect(exitCodeOf(result)).toBe(0);
    expect(xml).toMatch(/<testsuites [^>]*failures="0" errors="0"/);
    expect(xml).not.toContain('<failure');
    expect(xml).toContain('below fail-on (high), not failing: ');
    expect(validate(xml).ok).toBe(true);
  });
});

const emptyResult: AuditResult = {
  schemaVersion: 1,
  tool: { name: 'idem-audit', version: '0.0.0' },
  scenario: { name: 's', file: 's.yaml' },
  target: { baseUrl: 'http://127.0.0.1:1', nodes: [] },
  contract: {
    profile: 'ietf',
    keyHeader: 'Idempotency-Key',
    keyRequired: true,
    ttlMs: 1000,
    onMissingKey: [400],
    onMismatch: [422],
    onInFlight: [409],
    inFlightMayWait: false,
    errorsReplayed: false,
    replayHeader: undefined,
    recoveryMs: 30_000,
  },
  status: 'completed',
  seed: 1,
  failOn: 'high',
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  durationMs: 1000,
  requests: 0,
  summary: summarize([], []),
  attacks: [],
  findings: [],
  errors: [],
};

const sampleFinding = {
  attack: 'missing-key',
  endpoint: 'e',
  kind: 'missing-key-status',
  severity: 'low' as const,
  title: 'Undocumented status',
  message: 'm',
  fingerprint: 'f',
  expected: 'x',
  observed: 'y',
  sideEffects: undefined,
  exchanges: [],
  remediation: 'r',
  references: [],
  reproduce: { seed: 1, command: 'c', curl: [], timingDependent: false },
};
