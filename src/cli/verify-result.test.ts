import { describe, expect, it } from 'vitest';
import type { Finding } from '../findings/finding.js';
import type { PendingCheck } from '../findings/pending-check.js';
import type { AttackResult, AuditResult } from '../result/result.js';
import { exitCodeOf } from '../verdict/exit-codes.js';
import { summarize } from '../verdict/verdict.js';
import { applyVerification, pendingCells } from './verify-result.js';

const check = (id: string): PendingCheck => ({
  id,
  dueAt: '2026-11-30T00:00:00Z',
  description: `check ${id}`,
  exchanges: [],
  data: { key: id },
});

/** Fields to change; `undefined` removes one. */
type Over = { [K in keyof AttackResult]?: AttackResult[K] | undefined };

function cell(endpoint: string, over: Over = {}): AttackResult {
  const merged: Record<string, unknown> = {
    attack: 'ttl-probe',
    endpoint,
    title: 't',
    status: 'skipped',
    reason: 'pending: 2 retention checks planted',
    notes: ['planted'],
    requests: 4,
    durationMs: 10,
    findings: 0,
    bursts: [],
    pending: [check(`${endpoint}-a`), check(`${endpoint}-b`)],
    ...over,
  };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  return merged as unknown as AttackResult;
}

function result(attacks: AttackResult[], over: Partial<AuditResult> = {}): AuditResult {
  const findings: Finding[] = [];
  return {
    schemaVersion: 1,
    tool: { name: 'idem-audit', version: '0' },
    scenario: { name: 's', file: '/s.yaml' },
    target: { baseUrl: 'http://127.0.0.1:1', nodes: [] },
    contract: {} as AuditResult['contract'],
    status: 'completed',
    seed: 1,
    failOn: 'high',
    startedAt: '2026-11-29T00:00:00Z',
    finishedAt: '2026-11-29T00:01:00Z',
    durationMs: 60_000,
    requests: 8,
    summary: summarize(attacks, findings),
    attacks,
    findings,
    errors: [],
    ...over,
  };
}

const finding = { attack: 'ttl-probe', endpoint: 'b', severity: 'high', kind: 'ttl-too-short' } as Finding;

describe('pendingCells', () => {
  it('lists the cells with checks and counts entries that are not checks', () => {
    const r = result([
      cell('a'),
      cell('b', { pending: [check('x'), { id: 1 } as unknown as PendingCheck] }),
      cell('c', { pending: [] }),
    ]);
    expect(pendingCells(r).map((c) => [c.endpoint, c.checks.map((k) => k.id), c.malformed])).toEqual([
      ['a', ['a-a', 'a-b'], 0],
      ['b', ['x'], 1],
    ]);
  });
});

describe('applyVerification', () => {
  const original = result(
    [cell('a'), cell('b'), cell('other', { attack: 'missing-key', status: 'passed', pending: undefined })],
    {
      status: 'incomplete',
      errors: [{ code: 'IDEM_NOTHING_AUDITED', message: 'nothing' }],
    },
  );

  it('replaces the cells verified, adds their findings and judges the whole audit again', () => {
    const verified = result(
      [
        cell('a', {
          status: 'passed',
          reason: undefined,
          notes: ['still deduplicated'],
          requests: 1,
          pending: [check('a-b')],
        }),
        cell('b', { status: 'failed', reason: undefined, notes: [], requests: 1, findings: 1, pending: [] }),
      ],
      { startedAt: '2026-11-30T01:00:00Z', finishedAt: '2026-11-30T01:00:05Z', requests: 2, findings: [finding] },
    );
    const u = applyVerification(original, verified);
    expect(u.attacks.map((a) => [a.endpoint, a.status, a.requests, a.pending?.map((p) => p.id)])).toEqual([
      ['a', 'passed', 5, ['a-b']],
      ['b', 'failed', 5, undefined],
      ['other', 'passed', 4, undefined],
    ]);
    expect(u.attacks[0]?.notes).toEqual(['planted', 'verify 2026-11-30T01:00:00Z: still deduplicated']);
    expect(u.attacks[0]).not.toHaveProperty('reason');
    expect(u.findings).toEqual([finding]);
    expect(u.summary.findings.high).toBe(1);
    expect(u.errors).toEqual([]);
    expect([u.status, exitCodeOf(u)]).toEqual(['completed', 1]);
    expect([u.requests, u.finishedAt]).toEqual([10, '2026-11-30T01:00:05Z']);
    expect(u.verifications).toEqual([{ at: '2026-11-30T01:00:00Z', requests: 2, status: 'completed' }]);
  });

  it('keeps every check of a cell that did not run, and says why the audit is incomplete', () => {
    const down = result(
      [
        cell('a', {
          status: 'error',
          reason: 'not run: connection refused',
          notes: [],
          requests: 0,
          pending: undefined,
        }),
        cell('b', {
          status: 'error',
          reason: 'not run: connection refused',
          notes: [],
          requests: 0,
          pending: undefined,
        }),
      ],
      {
        status: 'incomplete',
        errors: [{ code: 'IDEM_TARGET_UNREACHABLE', message: 'cannot reach http://127.0.0.1:1' }],
      },
    );
    const u = applyVerification(original, down);
    expect(u.attacks.map((a) => [a.status, a.pending?.length])).toEqual([
      ['error', 2],
      ['error', 2],
      ['passed', undefined],
    ]);
    expect(u.errors.map((e) => e.code)).toEqual(['IDEM_TARGET_UNREACHABLE']);
    expect(u.errors[0]?.message).toMatch(/^verify \S+: cannot reach/);
    expect([u.status, exitCodeOf(u)]).toEqual(['incomplete', 3]);
  });

  it('stays interrupted when the verify run was, and never passes what is still pending', () => {
    const stopped = result([cell('a', { requests: 0 }), cell('b', { requests: 0 })], { status: 'interrupted' });
    expect(exitCodeOf(applyVerification(original, stopped))).toBe(130);
    const nothingDue = applyVerification(
      result([cell('a')], { status: 'incomplete' }),
      result([cell('a', { requests: 0 })], { status: 'incomplete' }),
    );
    expect(nothingDue.attacks[0]?.status).toBe('skipped');
    expect(nothingDue.errors.map((e) => e.code)).toEqual(['IDEM_NOTHING_AUDITED']);
    expect(exitCodeOf(nothingDue)).toBe(3);
  });
});
