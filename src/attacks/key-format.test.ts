import { describe, expect, it } from 'vitest';
import { RequestBudgetError } from '../errors/errors.js';
import { keyFormat } from './key-format.js';
import { FakeAttackRun, modelTarget, runFake, type FakeTarget } from '../testing/index.js';

/** An idempotent target whose key column overflows: keys over 100 characters get a 500. */
function overflowing(): FakeTarget {
  const model = modelTarget();
  return (req, env) =>
    (req.header('idempotency-key')?.length ?? 0) > 100
      ? { status: 500, body: { error: 'value too long for column' } }
      : model(req, env);
}

describe('key-format', () => {
  it('finds keys that differ only in letter case colliding', async () => {
    const r = await runFake(keyFormat, { target: modelTarget({ storedKey: (k) => k.toLowerCase() }) });
    expect(r.kinds()).toEqual(['key-collision']);
    const f = r.findings[0];
    expect(f?.severity).toBe('high');
    expect(f?.message).toMatch(
      /^Keys "IK-[0-9A-F-]+" and "ik-[0-9a-f-]+" differ \(letter case\), yet the second answered 201 with the first key's response, without executing; the same request with an unrelated fresh key executed \(201×1\)\.$/,
    );
    expect(f?.exchanges.map((e) => e.label)).toEqual([
      'letter case: first key',
      'letter case: second key',
      'letter case: control (unrelated key)',
    ]);
  });

  it('finds keys truncated to a prefix colliding, once per prefix length', async () => {
    const r = await runFake(keyFormat, { target: modelTarget({ storedKey: (k) => k.slice(0, 64) }) });
    expect(r.kinds()).toEqual(['key-collision', 'key-collision', 'key-collision']);
    expect(r.findings.every((f) => f.message.includes('prefix'))).toBe(true);
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(3);
    expect(r.findings.map((f) => /shared (\d+)-character prefix/.exec(f.message)?.[1])).toEqual(['70', '130', '250']);
  });

  it('reports a 5xx for long keys as key-crash, shrunk to the shortest generated key that still crashes', async () => {
    const r = await runFake(keyFormat, { target: overflowing(), options: { runs: 30 }, seed: 3 });
    expect(r.kinds()).toEqual(['key-crash']);
    const f = r.findings[0];
    expect(f?.severity).toBe('medium');
    expect(f?.message).toContain('255 characters');
    expect(f?.message).toContain('256 characters');
    expect(f?.message).toContain('4096 characters');
    // Shrunk to the shortest generated key of its shape that still crashes (250-256 characters).
    expect(f?.message).toMatch(
      /generated "[^"]*…" \(25\d characters\) \(fast-check seed \d+, path [\d:]+, \d+ shrinks\)/,
    );
    // The same seed sends the same odd keys again.
    const again = await runFake(keyFormat, { target: overflowing(), options: { runs: 30 }, seed: 3 });
    expect(again.findings[0]?.message).toBe(f?.message);
    expect(again.requests.map((q) => q.key)).toEqual(r.requests.map((q) => q.key));
  });

  it('finds a key ignored when its header name has other letter case', async () => {
    // Reads the key only from a header spelled exactly `Idempotency-Key`; any other spelling is no key at all.
    let n = 0;
    const stored = new Map<string, number>();
    const target: FakeTarget = (req) => {
      const exact = req.headers['Idempotency-Key'] ?? `none-${++n}`;
      const id = stored.get(exact) ?? stored.size + 1;
      const fresh = !stored.has(exact);
      stored.set(exact, id);
      return { status: 201, body: { id: `pay_${id}` }, writes: fresh ? 1 : 0 };
    };
    const r = await runFake(keyFormat, { target, options: { runs: 0, prefixLengths: [] } });
    expect(r.kinds()).toEqual(['key-header-case']);
    expect(r.findings[0]?.message).toContain("then as 'idempotency-key' executed again");
    expect(r.findings[0]?.sideEffects).toMatchObject({ expected: 1, observed: 2 });
  });

  it('judges a collision by the answer when only the answers witness writes (the same id for both keys)', async () => {
    const r = await runFake(keyFormat, {
      target: modelTarget({ storedKey: (k) => k.toLowerCase() }),
      observe: ['responseId'],
      options: { runs: 0, prefixLengths: [] },
    });
    expect(r.kinds()).toEqual(['key-collision']);
    expect(r.findings[0]?.message).toContain("answered 201 with the first key's response, without executing");
  });

  it('does not blame the key for a target that deduplicates by content (an unrelated key is deduplicated too)', async () => {
    const r = await runFake(keyFormat, { target: modelTarget({ dedupeByBody: true }) });
    expect(r.findings).toEqual([]);
    expect(r.notes.join('\n')).toContain('the target deduplicates by content');
  });

  it('terminates with a key template that renders only dashes (no characters for the shared prefix)', async () => {
    const r = await runFake(keyFormat, {
      target: overflowing(),
      endpoint: { key: '--' },
      options: { runs: 0, prefixLengths: [20] },
    });
    expect(r.requests.find((q) => q.label === 'shared 20-character prefix: first key')?.key).toMatch(
      /^[0-9a-f]{20}-1$/,
    );
  });

  it('stays silent on a target that stores keys exactly and validates them', async () => {
    const r = await runFake(keyFormat, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.notes).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    const boundary = r.requests.filter((q) => q.label.startsWith('key ')).map((q) => q.label);
    expect(boundary).toEqual([
      'key empty',
      'key whitespace only',
      'key 255 characters',
      'key 256 characters',
      'key 4096 characters',
      'key non-ASCII',
      'key a tab',
      'key two values (as two header fields join)',
    ]);
    expect(r.requests.filter((q) => q.label.startsWith('generated key['))).toHaveLength(20);
  });

  it('is inconclusive when the target accepts no request', async () => {
    const r = await runFake(keyFormat, { target: () => ({ error: 'connect-refused' }), options: { runs: 2 } });
    expect(r.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'the target accepted no request, so no key could be judged',
    });
  });

  it('reports the crash found before the request budget ran out (mid-shrink), then stops', async () => {
    // 8 boundary keys, the first generated key (which crashes), one shrink attempt: then the budget is spent.
    const run = new FakeAttackRun(keyFormat, {
      target: overflowing(),
      options: { runs: 30 },
      seed: 3,
      maxRequests: 10,
    });
    await expect(run.run()).rejects.toBeInstanceOf(RequestBudgetError);
    expect(run.kinds()).toEqual(['key-crash']);
    expect(run.findings[0]?.message).toMatch(
      /; generated "k+…" \(\d+ characters\) \(fast-check seed \d+, path [\d:]+, 1 shrinks\)/,
    );
    expect(run.requests).toHaveLength(10);
    expect(run.requests.some((q) => q.label.includes(': first key'))).toBe(false);
  });
});

describe('key-format where the key travels in the body', () => {
  const keyIn = { in: 'body', path: ['idempotency_key'] } as const;

  it('puts odd and colliding keys in the field, and skips the header-name case probe with a note', async () => {
    const r = await runFake(keyFormat, {
      target: modelTarget({ keyIn, storedKey: (k) => k.toLowerCase() }),
      endpoint: { keyIn },
      options: { runs: 0, prefixLengths: [70] },
    });
    expect(r.kinds()).toEqual(['key-collision']);
    expect(r.notes).toContain(
      'header-name case not probed: the key travels in the body field idempotency_key, not in a header',
    );
    expect(r.requests.every((q) => q.header('idempotency-key') === undefined)).toBe(true);
    const empty = r.requests.find((q) => q.label === 'key empty');
    expect(empty?.json()).toMatchObject({ idempotency_key: '' });
    const silent = await runFake(keyFormat, {
      target: modelTarget({ keyIn }),
      endpoint: { keyIn },
      options: { runs: 0 },
    });
    expect(silent.findings).toEqual([]);
  });
});
