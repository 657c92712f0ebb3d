import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/result/events.js';
import { auditDemo } from './helpers/audit-demo.js';

/**
 * The requests an audit generated: attack/label → key and body. Timing-free. Two audits: the whole
 * default suite on the correct endpoint, and payload-mismatch against a flaw it finds, so that
 * fast-check's generation and its shrinking path are covered too.
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
  // Requests of one burst complete in any order; the set per burst is what must match.
  return seen.sort();
}

describe('reproducibility', () => {
  it('sends the same requests (keys and bodies) for the same seed and key salt, and different keys for another seed', async () => {
    const a = await requests(1234);
    const b = await requests(1234);
    const c = await requests(4321);
    expect(a.length).toBeGreaterThan(50);
    expect(b).toEqual(a);
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
    expect(withoutKeys(b)).toEqual(withoutKeys(a));
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
