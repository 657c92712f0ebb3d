/**
 * sink: a recording stand-in for the target's downstream provider. The target is configured to
 * call it (its URL is fixed by `listen`), and it counts what was really applied downstream for a
 * key: applied + applied-lost calls, never failed ones nor repeats the provider deduplicated.
 */
import { z } from 'zod';
import { ObserverError } from '../errors/errors.js';
import { acquireSink, type HeaderRef } from './sink-server.js';
import { defineObserver, type DownstreamControl } from './types.js';

const headerRef = z
  .string()
  .regex(/^header:[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header:<Name>, e.g. header:Idempotency-Key')
  .transform((s) => s as HeaderRef);

const options = z.strictObject({
  /** host:port; port 0 picks a free one (only useful when the target learns the URL some other way). */
  listen: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:4011')
    .refine((l) => Number(l.slice(l.lastIndexOf(':') + 1)) <= 65535, 'the port must be 0..65535')
    .default('127.0.0.1:0'),
  /** Where the target puts its downstream idempotency key. */
  key: headerRef.default('header:Idempotency-Key'),
  /** Where the target puts the audit's key, when its downstream key is something else. */
  reference: headerRef.optional(),
  /** Longest a `hang` fault holds a call before letting go. */
  hangMs: z.number().int().positive().max(120_000).default(10_000),
});

export const sinkObserver = defineObserver({
  meta: {
    id: 'sink',
    description:
      'A recording downstream stub the target calls instead of its provider: counts what was applied per key, and can fail, delay, hang or reset on command.',
    options,
  },
  // Endpoints naming one fixed address share one stub (acquireSink): calls without a key or
  // reference count against every key of every one of them.
  sharedState: (o) => (listenAddress(o.listen).port === 0 ? undefined : `sink ${o.listen}`),
  create(o: z.output<typeof options>) {
    const { host, port } = listenAddress(o.listen);
    const { sink, release } = acquireSink({ host, port, key: o.key, reference: o.reference, hangMs: o.hangMs });
    const downstream: DownstreamControl = {
      get url() {
        return sink.url;
      },
      program: (key, rule) => sink.program(key, rule),
      calls: (key) => sink.calls(key),
      waitForCall: (key, signal) => sink.waitForCall(key, signal),
    };
    return {
      downstream,
      async start() {
        try {
          await sink.listen();
        } catch (err) {
          throw new ObserverError(
            'sink',
            `cannot listen on ${o.listen}: ${err instanceof Error ? err.message : String(err)}`,
            'Pick a free port, and the same one the target is configured to call.',
          );
        }
      },
      describe: () => `sink at ${sink.url}`,
      count(key) {
        const calls = sink.calls(key);
        const tally = (outcome: string): number => calls.filter((c) => c.outcome === outcome).length;
        const applied = tally('applied');
        const lost = tally('applied-lost');
        const more = sink.overflow(key);
        // Zero calls for this key while calls nobody can attribute arrive is "cannot count", not zero.
        if (calls.length + more === 0 && sink.unattributed() > 0)
          return Promise.reject(
            new ObserverError(
              'sink',
              `${sink.unattributed()} downstream call(s) carried neither ${o.key.replace(/^header:/, '')} nor ${o.reference?.replace(/^header:/, '') ?? 'a reference header'}, so none can be attributed to key ${key}`,
              'Make the target forward the client key (or a reference derived from it) on its downstream calls, and name that header in `key:` or `reference:`.',
            ),
          );
        return Promise.resolve({
          observer: 'sink',
          count: applied + lost + more,
          detail: `sink ${sink.url}: ${calls.length + more} call(s) → ${applied + more} applied, ${lost} applied-lost, ${tally('failed')} failed, ${tally('replayed')} replayed${more > 0 ? ` (${more} beyond the first ${calls.length} tallied only)` : ''}`,
          evidence: [],
        });
      },
      close: release,
    };
  },
});

function listenAddress(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}
