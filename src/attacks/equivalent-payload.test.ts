import { describe, expect, it } from 'vitest';
import { equivalentPayload } from './equivalent-payload.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

/** The fingerprint hashes the raw bytes: reordered members or other whitespace are a "mismatch". */
const byteExact = (): FakeTarget =>
  modelTarget({ fingerprint: (req) => `${req.method} ${req.path} ${req.body ?? ''}` });

describe('equivalent-payload', () => {
  it('finds a byte-exact fingerprint rejecting reordered and re-indented JSON; decimals are informational', async () => {
    const r = await runFake(equivalentPayload, { target: byteExact() });
    expect(r.kinds()).toEqual(['false-mismatch', 'false-mismatch']);
    expect(r.findings.every((f) => f.severity === 'low')).toBe(true);
    expect(r.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^A retry of key \S+ with JSON members reordered was answered 422 instead of the replay\.$/,
      ),
      expect.stringMatching(/with indented JSON with a trailing newline was answered 422/),
    ]);
    // Two variants of one kind keep distinct fingerprints.
    expect(new Set(r.findings.map((f) => f.fingerprint)).size).toBe(2);
    // Numbers written differently are informational: a note, never a finding.
    expect(r.notes.join('\n')).toMatch(
      /integers written as decimals was answered 422 .*\(informational: numbers written differently\)/,
    );
  });

  it('finds a retry executed again when the target keys its records by the raw request', async () => {
    const seen = new Set<string>();
    const target: FakeTarget = (req) => {
      const record = `${req.key} ${req.header('user-agent') ?? ''} ${req.body ?? ''}`;
      const fresh = !seen.has(record);
      seen.add(record);
      return { status: 201, body: { id: record }, writes: fresh ? 1 : 0 };
    };
    const r = await runFake(equivalentPayload, { target });
    expect(r.kinds()).toEqual(['duplicate-write', 'duplicate-write', 'duplicate-write', 'duplicate-write']);
    expect(r.findings.find((f) => f.message.includes('User-Agent'))?.sideEffects).toMatchObject({
      expected: 1,
      observed: 2,
    });
  });

  it('stays silent on a target that fingerprints the parsed body and ignores volatile headers', async () => {
    const r = await runFake(equivalentPayload, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.notes).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
    const retries = r.requests.filter((q) => q.label.endsWith(' retry'));
    expect(retries.map((q) => q.label)).toEqual([
      'reordered retry',
      'whitespace retry',
      'volatile-headers retry',
      'numbers retry',
    ]);
    expect(retries[0]?.body).toBe('{"customer":"cus_42","currency":"usd","amount":1000}');
    expect(retries[3]?.body).toBe('{"amount":1000.0,"currency":"usd","customer":"cus_42"}');
    expect(retries[2]?.header('x-request-id')).toBe('idem-audit-3');
  });

  it('retries an in-flight answer before judging it', async () => {
    const target: FakeTarget = (req) =>
      req.nth === 1
        ? { status: 201, body: { id: 'p1' }, writes: 1 }
        : req.nth === 2
          ? { status: 409, body: { error: 'in flight' } }
          : { status: 201, body: { id: 'p1' } };
    const r = await runFake(equivalentPayload, { target, options: { variants: ['reordered'] } });
    expect(r.findings).toEqual([]);
    expect(r.requests.map((q) => q.label)).toEqual(['reordered original', 'reordered retry', 'reordered retry 1']);
  });

  it('sends only the header variant for a request without a body, and is inconclusive when nothing is accepted', async () => {
    const bodiless = await runFake(equivalentPayload, { target: modelTarget(), endpoint: { body: undefined } });
    expect(bodiless.requests.map((q) => q.label)).toEqual(['volatile-headers original', 'volatile-headers retry']);
    const refused = await runFake(equivalentPayload, { target: () => ({ status: 401 }) });
    expect(refused.outcome.kind).toBe('inconclusive');
    expect(refused.findings).toEqual([]);
  });
});

describe('equivalent-payload on form and text bodies', () => {
  const form = { amount: 500, description: 'order 42', metadata: { order: 'o-1' } };
  const anyForm = { validate: () => true };

  it('finds a byte-exact form fingerprint rejecting reordered fields, %20 for +, and lower-case escapes', async () => {
    const r = await runFake(equivalentPayload, {
      target: modelTarget({ ...anyForm, fingerprint: (req) => `${req.path} ${req.body ?? ''}` }),
      endpoint: { form },
    });
    expect(r.kinds()).toEqual(['false-mismatch', 'false-mismatch', 'false-mismatch']);
    expect(r.findings.map((f) => /with (.*) was answered/.exec(f.message)?.[1])).toEqual([
      'form fields in reverse order',
      'spaces encoded as %20, not +',
      'percent-escapes in lower case',
    ]);
    const retries = r.requests.filter((q) => / retry$/.test(q.label)).map((q) => q.body);
    expect(retries).toEqual([
      'metadata%5Border%5D=o-1&description=order+42&amount=500',
      'amount=500&description=order%2042&metadata%5Border%5D=o-1',
      'amount=500&description=order+42&metadata%5Border%5D=o-1',
      'amount=500&description=order+42&metadata%5border%5d=o-1',
    ]);
  });

  it('stays silent on a target that compares the decoded fields, with the key in a form field', async () => {
    const keyIn = { in: 'form', name: 'idempotency_key' } as const;
    const r = await runFake(equivalentPayload, {
      target: modelTarget({ ...anyForm, keyIn }),
      endpoint: { form, keyIn },
    });
    expect(r.findings).toEqual([]);
    expect(r.outcome.kind).toBe('ran');
  });

  it('varies only the headers of a text body, and says so', async () => {
    const r = await runFake(equivalentPayload, {
      target: modelTarget({ ...anyForm, fingerprint: (req) => `${req.path} ${req.body ?? ''}` }),
      endpoint: { text: { text: '<pay/>', contentType: 'application/xml' } },
    });
    expect(r.findings).toEqual([]);
    expect(r.requests.filter((q) => / retry$/.test(q.label)).map((q) => q.label)).toEqual(['volatile-headers retry']);
    expect(r.notes).toContain(
      'a text body has no rewrite that is the same request for every target: its bytes were not varied',
    );
    const only = await runFake(equivalentPayload, {
      target: modelTarget(anyForm),
      endpoint: { text: { text: '<pay/>', contentType: 'application/xml' } },
      options: { variants: ['reordered'] },
    });
    expect(only.outcome.kind).toBe('inconclusive');
  });
});
