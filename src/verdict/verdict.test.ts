import { describe, expect, it } from 'vitest';
import { IdemAuditError, ScenarioError, UsageError } from '../errors/errors.js';
import { EXIT, exitCodeForError, exitCodeOf } from './exit-codes.js';
import { judgeReplayedEffects } from './replay.js';
import { attackStatusOf, cellFails, failingFindings, nothingAuditedReason, runStatusOf, summarize } from './verdict.js';

const cell = (status: 'passed' | 'failed' | 'skipped' | 'inconclusive' | 'error', attack = 'a', endpoint = 'e') => ({
  status,
  attack,
  endpoint,
});

describe('verdict', () => {
  it('fails the run only for findings at or above fail-on', () => {
    const findings = [
      { severity: 'low' as const, attack: 'a', endpoint: 'e' },
      { severity: 'critical' as const, attack: 'b', endpoint: 'e' },
    ];
    expect(failingFindings({ findings, failOn: 'high' })).toEqual([findings[1]]);
    expect(cellFails(cell('failed', 'a'), { findings, failOn: 'high' })).toBe(false);
    expect(cellFails(cell('failed', 'b'), { findings, failOn: 'high' })).toBe(true);
    expect(cellFails(cell('failed', 'a'), { findings, failOn: 'low' })).toBe(true);
  });

  it('an attack with any finding is failed; otherwise how it ended decides', () => {
    expect(attackStatusOf('ran', 1)).toBe('failed');
    expect(attackStatusOf('interrupted', 2)).toBe('failed');
    expect(attackStatusOf('ran', 0)).toBe('passed');
    expect(attackStatusOf('skipped', 0)).toBe('skipped');
    expect(attackStatusOf('interrupted', 0)).toBe('inconclusive');
    expect(attackStatusOf('error', 0)).toBe('error');
  });

  it('a run that judged nothing is incomplete, with the reasons', () => {
    const skipped = [{ ...cell('skipped'), reason: 'key optional' }];
    expect(runStatusOf(skipped, undefined)).toBe('incomplete');
    expect(nothingAuditedReason(skipped)).toContain('a on e: skipped (key optional)');
    expect(runStatusOf([], undefined)).toBe('incomplete');
    expect(nothingAuditedReason([])).toContain('no endpoint × attack was selected');
    expect(runStatusOf([cell('passed'), cell('skipped')], undefined)).toBe('completed');
    expect(nothingAuditedReason([cell('passed'), cell('skipped')])).toBeUndefined();
    expect(runStatusOf([cell('passed'), cell('inconclusive')], undefined)).toBe('incomplete');
    expect(runStatusOf([cell('passed')], 'cut-short')).toBe('incomplete');
    expect(runStatusOf([cell('passed')], 'interrupt')).toBe('interrupted');
  });

  it('summarises every status and severity, zeros included', () => {
    const s = summarize([cell('passed'), cell('failed'), cell('failed')], [{ severity: 'high' }]);
    expect(s.attacks).toEqual({ passed: 1, failed: 2, skipped: 0, inconclusive: 0, error: 0 });
    expect(s.findings).toEqual({ info: 0, low: 0, medium: 0, high: 1, critical: 0 });
  });

  it('maps results and errors to the documented exit codes', () => {
    const base = { findings: [{ severity: 'critical' as const }], failOn: 'high' as const };
    expect(exitCodeOf({ ...base, status: 'interrupted' })).toBe(EXIT.interrupted);
    expect(exitCodeOf({ ...base, status: 'incomplete' })).toBe(EXIT.findings);
    expect(exitCodeOf({ findings: [{ severity: 'low' }], failOn: 'high', status: 'incomplete' })).toBe(EXIT.notAudited);
    expect(exitCodeOf({ findings: [{ severity: 'low' }], failOn: 'high', status: 'completed' })).toBe(EXIT.clean);
    expect(exitCodeForError(new UsageError('x'))).toBe(2);
    expect(exitCodeForError(new ScenarioError([]))).toBe(2);
    expect(exitCodeForError(new IdemAuditError('IDEM_HOST_REFUSED', 'x'))).toBe(2);
    expect(exitCodeForError(new IdemAuditError('IDEM_TARGET_UNREACHABLE', 'x'))).toBe(3);
    expect(exitCodeForError(new IdemAuditError('IDEM_INTERRUPTED', 'x'))).toBe(130);
    expect(exitCodeForError(new Error('bug'))).toBe(3);
  });

  it('judges a replay per key: two correct single writes are not a duplicate', () => {
    const duplicate = { expected: 1, observed: 3, counts: [] };
    expect(
      judgeReplayedEffects(
        duplicate,
        new Map([
          ['k1', 1],
          ['k2', 1],
        ]),
      ).reproduced,
    ).toBe(false);
    expect(
      judgeReplayedEffects(
        duplicate,
        new Map([
          ['k1', 1],
          ['k2', 2],
        ]),
      ).reproduced,
    ).toBe(true);
    const blocked = { expected: 1, observed: 0, counts: [] };
    expect(
      judgeReplayedEffects(
        blocked,
        new Map([
          ['k1', 1],
          ['k2', 0],
        ]),
      ).reproduced,
    ).toBe(true);
    expect(
      judgeReplayedEffects(
        blocked,
        new Map([
          ['k1', 1],
          ['k2', 1],
        ]),
      ).reproduced,
    ).toBe(false);
    expect(judgeReplayedEffects(duplicate, new Map()).reproduced).toBeUndefined();
  });
});
