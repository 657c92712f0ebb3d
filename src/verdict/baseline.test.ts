import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/errors.js';
import type { Finding } from '../findings/finding.js';
import { hostileResult } from '../reporters/__fixtures__/hostile-result.js';
import { baselineMatcher, baselineOf, inBaseline, isCalendarDay, parseBaseline, utcDay } from './baseline.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { failingFindings, failsRun } from './verdict.js';

const finding = (fingerprint: string, severity: Finding['severity'] = 'critical'): Finding => {
  const base = hostileResult().findings[0];
  if (!base) throw new Error('fixture has a finding');
  const { baseline: _none, ...rest } = base;
  return { ...rest, fingerprint, severity };
};

describe('baseline', () => {
  it('a baseline file keeps each entry with its reason and expiry', () => {
    const file = baselineOf(
      { scenario: { name: 'demo' }, findings: [finding('aaaaaaaaaaaaaaaa'), finding('aaaaaaaaaaaaaaaa')] },
      { reason: 'known', expires: '2030-01-31', createdAt: new Date('2026-01-01T00:00:00Z') },
    );
    expect(file.entries).toHaveLength(1); // one entry covers every finding with that fingerprint
    const parsed = parseBaseline(JSON.parse(JSON.stringify(file)), 'b.json');
    expect(parsed.scenario).toBe('demo');
    expect(parsed.entries[0]).toMatchObject({
      fingerprint: 'aaaaaaaaaaaaaaaa',
      reason: 'known',
      expires: '2030-01-31',
    });
  });

  it('takes a report.json too, keeping what its findings already carried', () => {
    const report = JSON.parse(JSON.stringify(hostileResult())) as unknown;
    const b = parseBaseline(report, 'report.json');
    expect(b.entries.map((e) => e.fingerprint)).toEqual(hostileResult().findings.map((f) => f.fingerprint));
    expect(b.entries[1]).toMatchObject({ expires: '2026-12-31' });
  });

  it('refuses anything else with a usage error that names the file and the field', () => {
    const attempt = (data: unknown) => () => parseBaseline(data, 'x.json');
    expect(attempt([])).toThrow(UsageError);
    expect(attempt({ baselineVersion: 1, scenario: 's', createdAt: 'now', entries: [{ fingerprint: 'zz' }] })).toThrow(
      /x\.json is not a valid baseline: entries\.0\.fingerprint/,
    );
    expect(
      attempt({
        baselineVersion: 1,
        scenario: 's',
        createdAt: 'now',
        entries: [
          {
            fingerprint: 'aaaaaaaaaaaaaaaa',
            kind: 'k',
            attack: 'a',
            endpoint: 'e',
            severity: 'low',
            expires: '2026-02-30',
          },
        ],
      }),
    ).toThrow(/expires: expected a date as YYYY-MM-DD/);
    expect(attempt({ hello: 1 })).toThrow(/neither a baseline nor an idem-audit report\.json/);
  });

  it('an entry holds through its expiry day, then no longer suppresses', () => {
    const b = { scenario: 's', entries: [{ ...finding('aaaaaaaaaaaaaaaa'), expires: '2026-03-01', reason: 'r' }] };
    expect(baselineMatcher(b, '2026-03-01')('aaaaaaaaaaaaaaaa')).toEqual({
      reason: 'r',
      expires: '2026-03-01',
      expired: false,
    });
    expect(baselineMatcher(b, '2026-03-02')('aaaaaaaaaaaaaaaa')?.expired).toBe(true);
    expect(baselineMatcher(b, '2026-03-02')('bbbbbbbbbbbbbbbb')).toBeUndefined();
    expect(utcDay(new Date('2026-03-01T23:59:59Z'))).toBe('2026-03-01');
    expect(isCalendarDay('2024-02-29')).toBe(true);
    expect(isCalendarDay('2023-02-29')).toBe(false);
  });

  it('the verdict leaves known findings out of the failure, until their entry expires', () => {
    const known = { ...finding('aaaaaaaaaaaaaaaa'), baseline: { expired: false } };
    const expired = { ...finding('bbbbbbbbbbbbbbbb'), baseline: { expired: true, expires: '2020-01-01' } };
    const fresh = finding('cccccccccccccccc');
    expect(inBaseline(known)).toBe(true);
    expect(failsRun(known, 'high')).toBe(false);
    expect(failsRun(expired, 'high')).toBe(true);
    expect(failingFindings({ findings: [known, expired, fresh], failOn: 'high' })).toEqual([expired, fresh]);
    expect(exitCodeOf({ status: 'completed', findings: [known], failOn: 'high' })).toBe(EXIT.clean);
    expect(exitCodeOf({ status: 'completed', findings: [known, fresh], failOn: 'high' })).toBe(EXIT.findings);
    expect(exitCodeOf({ status: 'completed', findings: [known, expired], failOn: 'high' })).toBe(EXIT.findings);
  });
});
