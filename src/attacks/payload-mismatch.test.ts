import { describe, expect, it } from 'vitest';
import { ObserverError, RequestBudgetError } from '../errors/errors.js';
import { payloadMismatch } from './payload-mismatch.js';
import { FakeAttackRun, modelTarget, runFake, type FakeRequest, type FakeTarget } from '../testing/index.js';

/** The fingerprint covers only body.amount: another customer or currency with the same key is replayed. */
const amountOnly = (): FakeTarget =>
  modelTarget({
    fingerprint: (req: FakeRequest) => {
      const json = req.json();
      return JSON.stringify(typeof json === 'object' && json !== null && 'amount' in json ? json.amount : null);
    },
  });

const smallestChange = (message: string | undefined): string =>
  /Smallest change found: (.*?)\. fast-check seed/.exec(message ?? '')?.[1] ?? '';

describe('payload-mismatch', () => {
  it('finds a reused key with another request replayed when the target never compares requests', async () => {
    const r = await runFake(payloadMismatch, { target: modelTarget({ fingerprint: () => '' }), seed: 7 });
    expect(r.kinds()).toEqual(['mismatch-replayed']);
    const f = r.findings[0];
    expect(f?.severity).toBe('high');
    expect(f?.message).toMatch(
      /^Key \S+ was reused with a changed request and the target answered 201 with the stored response \(answers: 201×2\)\. Smallest change found: [^;]+\. fast-check seed \d+, path [\d:]+, after \d+ shrinks?\.$/,
    );
    expect(f?.expected).toBe('rejected with 422, no new side effect');
  });

  it('finds a changed request executed under a reused key, as critical', async () => {
    const r = await runFake(payloadMismatch, { target: modelTarget({ honourKeys: false }) });
    expect(r.kinds()).toEqual(['mismatch-executed']);
    expect(r.findings[0]?.severity).toBe('critical');
    expect(r.findings[0]?.message).toContain('answered 201 and executed a second time (answers: 201×2)');
  });

  it('shrinks an amount-only fingerprint to one change of another field, and the seed replays the same requests', async () => {
    // A fresh model per run: the target's memory must not carry over.
    const once = async (seed: number): Promise<{ message: string; sent: string[] }> => {
      const r = await runFake(payloadMismatch, { target: amountOnly(), seed });
      expect(r.kinds()).toEqual(['mismatch-replayed']);
      return {
        message: r.findings[0]?.message ?? '',
        sent: r.requests.map(
          (q) => `${q.method} ${q.path} ${q.header('content-type') ?? ''} ${q.key ?? '-'} ${q.body ?? ''}`,
        ),
      };
    };
    const a = await once(7);
    const minimal = smallestChange(a.message);
    expect(minimal).not.toContain(';');
    expect(minimal).toMatch(/^(body\.(currency|customer)|query string|body\.\w+ added)/);
    expect(a.message).toMatch(/fast-check seed \d+, path [\d:]+/);
    const b = await once(7);
    expect(b.sent).toEqual(a.sent);
    expect(b.message).toBe(a.message);
    expect((await once(8)).sent).not.toEqual(a.sent);
  });

  it('keeps the kind of the first failure while shrinking and drops single mutations fast-check misses', async () => {
    // Executes any changed request whose customer changed (critical), replays every other change (high).
    const records = new Map<string, string>();
    const target: FakeTarget = (req) => {
      const json = req.json() as { customer?: unknown } | undefined;
      const customer = JSON.stringify(json?.customer);
      const seen = records.get(req.key ?? '');
      if (seen === undefined || seen !== customer) {
        records.set(req.key ?? '', customer);
        return { status: 201, body: { id: `${req.key}-${req.nth}` }, writes: 1 };
      }
      return { status: 201, body: { id: `${req.key}-1` } };
    };
    const r = await runFake(payloadMismatch, { target, seed: 3, options: { runs: 100 } });
    expect(r.kinds()).toEqual(['mismatch-executed']);
    expect(smallestChange(r.findings[0]?.message)).toMatch(/^body\.customer(: | removed)/);
  });

  it('reports a mismatch rejected with an undocumented status only when the changed request is acceptable with a fresh key', async () => {
    // The model, but key reuse is answered 409 instead of the contract's 422.
    const conflicting = (): FakeTarget => {
      const model = modelTarget();
      return async (req, env) => {
        const a = await model(req, env);
        return 'status' in a && a.status === 422 ? { ...a, status: 409 } : a;
      };
    };
    const r = await runFake(payloadMismatch, { target: conflicting(), options: { runs: 20 } });
    expect(r.kinds()).toEqual(['mismatch-status']);
    expect(r.findings[0]?.severity).toBe('low');
    expect(r.findings[0]?.message).toContain(
      'answered 409 (expected 422); with a fresh key the same request is accepted (201)',
    );
    expect(r.requests.some((q) => q.label.endsWith('control (fresh key)'))).toBe(true);
    // Under a contract that names 409 for mismatches, the same target is correct.
    const lenient = await runFake(payloadMismatch, {
      target: conflicting(),
      contract: { onMismatch: [409] },
      options: { runs: 20 },
    });
    expect(lenient.findings).toEqual([]);
  });

  it('finds a rejected mismatch that replaced the stored request (IK-22), and only then', async () => {
    const bad = await runFake(payloadMismatch, {
      target: modelTarget({ overwriteOnMismatch: true }),
      options: { runs: 5 },
    });
    expect(bad.kinds()).toEqual(['mismatch-overwrote']);
    expect(bad.findings[0]?.message).toContain('refused the original itself with 422');
    expect(bad.findings[0]?.exchanges.map((e) => e.label)).toEqual([
      'overwrite check: original',
      'overwrite check: mismatch',
      'overwrite check: original again',
    ]);
    // A target that forgets the key when it rejects a mismatch runs the original again.
    const model = modelTarget({ storeFailures: false });
    let rejected = new Set<string>();
    const forgetful: FakeTarget = async (req, env) => {
      if (req.key !== undefined && rejected.has(req.key)) {
        rejected = new Set([...rejected].filter((k) => k !== req.key));
        return { status: 201, body: { id: `again-${req.key}` }, writes: 1 };
      }
      const a = await model(req, env);
      if ('status' in a && a.status === 422 && req.key !== undefined) rejected.add(req.key);
      return a;
    };
    const again = await runFake(payloadMismatch, { target: forgetful, options: { runs: 5 } });
    expect(again.kinds()).toEqual(['mismatch-overwrote']);
    expect(again.findings[0]?.message).toContain('executed the original again (2 side effects)');
    expect(again.findings[0]?.sideEffects?.expected).toBe(1);

    const good = await runFake(payloadMismatch, { target: modelTarget(), options: { runs: 5 } });
    expect(good.findings).toEqual([]);
    expect(good.outcome).toEqual({ kind: 'ran' });
    const off = await runFake(payloadMismatch, {
      target: modelTarget({ overwriteOnMismatch: true }),
      options: { runs: 5, overwriteCheck: false },
    });
    expect(off.findings).toEqual([]);
    expect(off.requests.some((q) => q.label.startsWith('overwrite check'))).toBe(false);
  });

  it('stays silent on a correct target and says how many cases it judged', async () => {
    const r = await runFake(payloadMismatch, { target: modelTarget(), seed: 11 });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    expect(r.notes[0]).toMatch(
      /^50 cases sent \((\d+) judged, (\d+) not judgeable, 0 without an accepted original\); fast-check seed \d+$/,
    );
    const judged = Number(/\((\d+) judged/.exec(r.notes[0] ?? '')?.[1]);
    expect(judged).toBeGreaterThan(10);
    // Each case runs on its own key.
    const originals = r.requests.filter((q) => q.label.endsWith(' original') && q.label.startsWith('case['));
    expect(new Set(originals.map((q) => q.key)).size).toBe(originals.length);
  });

  it('is inconclusive when the original request is never accepted', async () => {
    const r = await runFake(payloadMismatch, { target: () => ({ status: 403 }), options: { runs: 5 } });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({
      kind: 'inconclusive',
      reason: 'the original request was never accepted, so no mismatch could be judged',
    });
    expect(r.notes[0]).toMatch(/^5 cases sent \(0 judged, 0 not judgeable, 5 without an accepted original\)/);
  });

  it("does not judge cases whose answers carry another key's stored response, and skips when all do", async () => {
    // Every original is answered with an earlier caller's stored response (a foreign id, no write); the
    // changed request then runs as the key's first write: not a mismatch executed a second time.
    const target: FakeTarget = (req) =>
      req.nth === 1
        ? { status: 201, body: { id: 'foreign' } }
        : { status: 201, body: { id: `own-${req.key}` }, writes: 1 };
    const r = await runFake(payloadMismatch, { target, observe: ['responseId', 'ledger'], options: { runs: 10 } });
    expect(r.findings).toEqual([]);
    expect(r.notes[0]).toMatch(/\d+ whose answers carried responses the key's records do not show/);
    expect(r.outcome.kind).toBe('skipped');
    expect(r.outcome.reason).toContain('distinct-keys judges deduplication across keys');

    // A target that deduplicates by body binds the first case's key, then answers the rest with it.
    const dedupe = await runFake(payloadMismatch, {
      target: modelTarget({ dedupeByBody: true }),
      observe: ['responseId', 'ledger'],
      options: { runs: 10 },
    });
    expect(dedupe.findings).toEqual([]);
    expect(dedupe.notes[0]).toMatch(/\d+ whose answers carried responses the key's records do not show/);
  });

  it('stays within the request budget and still reports the failure found before it ran out', async () => {
    const full = await runFake(payloadMismatch, { target: modelTarget({ fingerprint: () => '' }), seed: 7 });
    expect(full.findings[0]?.message).toMatch(/after [1-9]\d* shrinks?/);
    const budget = full.requests.length - 2;
    const bounded = new FakeAttackRun(payloadMismatch, {
      target: modelTarget({ fingerprint: () => '' }),
      seed: 7,
      maxRequests: budget,
    });
    await expect(bounded.run()).rejects.toBeInstanceOf(RequestBudgetError);
    expect(bounded.requests.length).toBeLessThanOrEqual(budget);
    expect(bounded.kinds()).toEqual(['mismatch-replayed']);
  });

  it('stops when an observer cannot count, reporting nothing it could not judge', async () => {
    const broken = { count: () => Promise.reject(new ObserverError('http', 'ledger answered 500')) };
    const run = new FakeAttackRun(payloadMismatch, { target: modelTarget(), observe: [broken] });
    await expect(run.run()).rejects.toBeInstanceOf(ObserverError);
    expect(run.findings).toEqual([]);
    // One case got as far as counting; nothing was sent after the failure.
    expect(run.requests).toHaveLength(2);
  });
});

describe('payload-mismatch on form and text bodies', () => {
  const form = { amount: 500, currency: 'usd', description: 'order 42', metadata: { order: 'o-1' } };
  const formValid = (req: FakeRequest): boolean =>
    /^\d+$/.test(new URLSearchParams(req.body ?? '').get('amount') ?? '') &&
    req.header('content-type') === 'application/x-www-form-urlencoded';
  /** Stripe-like: the fingerprint is the form's fields, but leaves `description` out. */
  const ignoresDescription = (req: FakeRequest): string =>
    `${req.method} ${req.path} ${JSON.stringify([...new URLSearchParams(req.body ?? '')].filter(([k]) => k !== 'description').sort())}`;

  it('finds a form field the fingerprint leaves out, shrunk to that one field', async () => {
    const r = await runFake(payloadMismatch, {
      target: modelTarget({ validate: formValid, fingerprint: ignoresDescription }),
      endpoint: { form, vary: { description: 'string' } },
      options: { runs: 40 },
    });
    expect(r.kinds()).toEqual(['mismatch-replayed']);
    expect(smallestChange(r.findings[0]?.message)).toMatch(/^form description: "order 42" → ".*"$/);
    // The changed request was a form like the original, with the same key in its header.
    const [original, changed] = r.findings[0]?.exchanges ?? [];
    expect(changed?.request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(changed?.key).toBe(original?.key);
  });

  it('stays silent when the form fingerprint covers every field, with the key in a form field', async () => {
    const r = await runFake(payloadMismatch, {
      target: modelTarget({ validate: formValid, keyIn: { in: 'form', name: 'idempotency_key' } }),
      endpoint: { form, keyIn: { in: 'form', name: 'idempotency_key' } },
      options: { runs: 40 },
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('ran');
    // Mutations never touch the key's field: every changed request still carries the case's key.
    const sent = r.requests.filter((q) => q.label.endsWith('changed'));
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.every((q) => new URLSearchParams(q.body ?? '').get('idempotency_key') === q.key)).toBe(true);
  });

  it('changes and cuts a text body, and finds a fingerprint that reads only its start', async () => {
    const xml = { text: '<pay><amount>5</amount><to>acct-42</to></pay>', contentType: 'application/xml' };
    const firstChars = (req: FakeRequest): string => `${req.method} ${req.path} ${(req.body ?? '').slice(0, 12)}`;
    const r = await runFake(payloadMismatch, {
      target: modelTarget({ validate: () => true, fingerprint: firstChars }),
      endpoint: { text: xml },
      options: { runs: 40 },
    });
    expect(r.kinds()).toEqual(['mismatch-replayed']);
    expect(smallestChange(r.findings[0]?.message)).toMatch(
      /^text (character \d+: ".*" → ".*"|cut to its first \d+ of 45 characters)$/,
    );
    const silent = await runFake(payloadMismatch, {
      target: modelTarget({ validate: () => true }),
      endpoint: { text: xml },
      options: { runs: 40 },
    });
    expect(silent.findings).toEqual([]);
  });
});
