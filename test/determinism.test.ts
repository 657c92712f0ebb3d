import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/result/events.js';
import { auditDemo } from './helpers/audit-demo.js';

/**
 * The requests an audit generated: attack/label → key and body. Timing-free. Two audits: the whole
 * default suite on the correct endpoint, and payload-mismatch against a flaw it finds, so that
 * fast-check's generation and its shrinking path are covered too.
 *
 * Some attacks adapt how many requests they send to the target's timing, by design: a retry that
 * meets the original still in flight is sent again (`retry (immediate) #2`), and connection-drop
 * tries another round, on the next key of its seeded stream, when the target dropped the torn
 * request before reading it. Repeats of one request are one row here (the counter is dropped and
 * rows are a set); extra connection-drop rounds are compared by `sameRequests`.
 */
async function requests(seed: number, keySalt = 'fixed'): Promise<string[]> {
  const seen: string[] = [];
  const onEvent = (e: RunEvent): void => {
    if (e.type !== 'exchange' || e.exchange.attack.startsWith('observe:')) return;
    const x = e.exchange;
    seen.push(
      `${x.attack}|${x.endpoint}|${x.label}|${x.key ?? '-'}|${x.request.method} ${new URL(x.request.url).pathname}|${x.request.body ?? ''}`,
    );
  };
  await auditDemo({ flaws: 'none', seed, keySalt, onEvent, endpoints: ['correct'] });
  const shrunk = await auditDemo({
    flaws: 'all',
    seed,
    keySalt,
    onEvent,
    endpoints: ['amount-only-fingerprint'],
    only: ['payload-mismatch'],
  });
  expect(shrunk.findings.map((f) => f.kind)).toContain('mismatch-replayed');
  // Requests of one burst complete in any order, and repeats depend on timing: the set is what must match.
  return [...new Set(seen.map((r) => r.replace(/ #\d+\|/, '|')))].sort();
}

/** The rows of the attack whose extra rounds depend on how fast the target read a torn request. */
const ADAPTIVE_ROUNDS = 'connection-drop|';

/**
 * Same requests, but for rounds one run tried and the other did not need: those may only be
 * connection-drop's. Its rounds draw keys from one seeded stream, so the run with fewer rounds used
 * a prefix of the other's keys, and every torn request both runs sent (key and body) matches.
 */
function expectSameRequests(a: readonly string[], b: readonly string[]): void {
  expect(b.filter((r) => !r.startsWith(ADAPTIVE_ROUNDS))).toEqual(a.filter((r) => !r.startsWith(ADAPTIVE_ROUNDS)));
  const adaptive = (rows: readonly string[]): string[] => rows.filter((r) => r.startsWith(ADAPTIVE_ROUNDS));
  const key = (r: string): string => r.split('|')[3] ?? '';
  const [fewer, more] = [adaptive(a), adaptive(b)].sort((x, y) => new Set(x.map(key)).size - new Set(y.map(key)).size);
  expect(fewer?.length).toBeGreaterThan(0);
  const moreKeys = new Set((more ?? []).map(key));
  expect([...new Set((fewer ?? []).map(key))].filter((k) => !moreKeys.has(k))).toEqual([]);
  const torn = (rows: readonly string[], keys: ReadonlySet<string>): string[] =>
    rows.filter((r) => r.split('|')[2]?.startsWith('torn') === true && keys.has(key(r)));
  const common = new Set((fewer ?? []).map(key));
  expect(torn(more ?? [], common)).toEqual(torn(fewer ?? [], common));
}

describe('reproducibility', () => {
  it('sends the same requests (keys and bodies) for the same seed and key salt, and different keys for another seed', async () => {
    const a = await requests(1234);
    const b = await requests(1234);
    const c = await requests(4321);
    expect(a.length).toBeGreaterThan(50);
    expectSameRequests(a, b);
    expect(c).not.toEqual(a);
  }, 120_000);

  it('sends fresh keys under another key salt, with the same bodies and mutations', async () => {
    const keyField = 3;
    const withoutKeys = (rows: string[]): string[] =>
      rows
        .map((r) =>
          r
            .split('|')
            .filter((_, i) => i !== keyField)
            .join('|'),
        )
        .sort();
    // key-format's unusual keys (boundaries, fast-check generated) are seeded on purpose: the
    // same odd key that crashed the target must be sent again.
    const fresh = (r: string): boolean => !/^key-format\|[^|]*\|(key |generated key)/.test(r);
    const keysOf = (rows: string[]): Set<string> =>
      new Set(rows.filter(fresh).map((r) => r.split('|')[keyField] ?? ''));
    const a = await requests(1234, 'monday');
    const b = await requests(1234, 'tuesday');
    const steady = (rows: string[]): string[] => withoutKeys(rows.filter((r) => !r.startsWith(ADAPTIVE_ROUNDS)));
    expect(steady(b)).toEqual(steady(a));
    // Not one key of the first run comes back in the second (labels and bodies aside).
    const shared = [...keysOf(a)].filter((k) => k !== '-' && keysOf(b).has(k));
    expect(shared).toEqual([]);
  }, 120_000);

  it('sends the same requests and comes to the same findings and statuses in parallel lanes as in a serial run', async () => {
    const audit = async (concurrency: number) => {
      const seen: string[] = [];
      const r = await auditDemo({
        flaws: 'all',
        seed: 77,
        keySalt: 'lanes',
        concurrency,
        // Flaws found by bursts, by fuzzing and through the shared sink, and the correct twin.
        endpoints: [
          'correct',
          'race',
          'dedupe-by-body',
          'amount-only-fingerprint',
          'error-cached',
          'downstream-unkeyed-retry',
        ],
        only: ['concurrent-burst', 'distinct-keys', 'payload-mismatch', 'equivalent-payload', 'partial-failure'],
        onEvent: (e) => {
          if (e.type !== 'exchange' || e.exchange.attack.startsWith('observe:')) return;
          const x = e.exchange;
          seen.push(
            `${x.attack}|${x.endpoint}|${x.label}|${x.key ?? '-'}|${x.request.method} ${new URL(x.request.url).pathname}|${x.request.body ?? ''}`,
          );
        },
      });
      return {
        requests: seen.sort(),
        findings: r.findings.map((f) => `${f.endpoint}|${f.attack}|${f.kind}|${f.fingerprint}`).sort(),
        statuses: r.attacks.map((a) => `${a.endpoint}|${a.attack}|${a.status}`),
      };
    };
    const serial = await audit(1);
    const parallel = await audit(4);
    expect(serial.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^race\|concurrent-burst\|duplicate-write\|/),
        expect.stringMatching(/^dedupe-by-body\|distinct-keys\|over-deduplication\|/),
        expect.stringMatching(/^downstream-unkeyed-retry\|partial-failure\|duplicate-write\|/),
      ]),
    );
    expect(parallel.findings).toEqual(serial.findings);
    expect(parallel.statuses).toEqual(serial.statuses);
    expect(parallel.requests).toEqual(serial.requests);
  }, 180_000);

  it('gives --only the same keys the attack got inside the full run', async () => {
    const keysOf = async (only?: string[]): Promise<string[]> => {
      const keys: string[] = [];
      const o: Parameters<typeof auditDemo>[0] = {
        flaws: 'none',
        seed: 99,
        endpoints: ['correct'],
        onEvent: (e) => {
          if (e.type === 'exchange' && e.exchange.attack === 'sequential-replay' && e.exchange.key)
            keys.push(e.exchange.key);
        },
      };
      if (only) o.only = only;
      await auditDemo(o);
      return keys;
    };
    expect(await keysOf(['sequential-replay'])).toEqual(await keysOf());
  });
});
