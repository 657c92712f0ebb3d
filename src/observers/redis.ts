/**
 * redis: reads the target's idempotency records straight from its Redis, with read-only
 * commands (SCAN, EXISTS, TYPE, PTTL, GET, HGETALL, INFO). `key` renders to the Redis key of a logical
 * key's record; records of the same logical key stored under a suffix (`<key>:…`, e.g. scoped by
 * caller or route) are found with SCAN MATCH, so two records for one logical key show.
 *
 * The count it gives ctx.sideEffects is the number of executions the store can account for:
 * one per record, plus every distinct successful answer for the key that none of the stored
 * responses matches (a store that remembers one response while clients received three different
 * ones let three executions through: the check-then-act race). Record-level facts (each record's
 * type, remaining PTTL and state) travel in `facts` for the store-audit attack, with the server's
 * eviction figures (INFO stats `evicted_keys`, INFO memory `maxmemory` and its policy) for the
 * eviction attack, when the user may run INFO.
 */
import { canonicalJson } from '../scenario/canonical-json.js';
import { createClient } from 'redis';
import { z } from 'zod';
import { ObserverError } from '../errors/errors.js';
import { isSuccess } from '../http/exchange.js';
import type { JsonValue } from '../scenario/types.js';
import { jsonPathField } from '../scenario/json-path.js';
import { OBSERVER_VARIABLES, renderTemplate, templateField } from '../scenario/template.js';
import { extractValue } from './json-path.js';
import { defineObserver, type CountContext, type EffectCount } from './types.js';

const IN_PROGRESS = [
  'in-flight',
  'in_flight',
  'in-progress',
  'in_progress',
  'processing',
  'started',
  'pending',
  'locked',
];

const options = z.strictObject({
  /** redis://[user:password@]host:port[/db]; never printed (it may hold a password). */
  url: z
    .string()
    .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
    .refine((u) => URL.canParse(u), 'not a valid URL (check the host, port and escaping of the password)'),
  /** Redis key of a logical key's record, e.g. `idem:{{key}}`. */
  key: templateField(
    { variables: OBSERVER_VARIABLES, what: 'the Redis key template' },
    z.string().includes('{{key}}', { message: 'the key template must contain {{key}}' }),
  ),
  /** Also SCAN for `<key>:*` (records of the same logical key under a suffix). */
  scan: z.boolean().default(true),
  /** Field of a record (JSON value or hash field) that holds its state. */
  stateField: z.string().min(1).default('state'),
  /** States that mean "still being processed". */
  inProgress: z.array(z.string()).min(1).default(IN_PROGRESS),
  /** JSON path, in a record, to the stored response body (to match records against answers). */
  responseBody: jsonPathField('$.response.body').default('$.response.body'),
  /** Upper bound on SCAN round trips per count, so a huge keyspace cannot stall the audit. */
  maxScanCalls: z.number().int().min(1).max(100_000).default(1000),
  /** Also read the server's eviction figures (INFO stats and memory) into the facts; skipped when INFO is not allowed. */
  evictions: z.boolean().default(true),
  /** Longest one observation (connecting included) may take: a Redis that stops answering must not hang the audit. */
  timeoutMs: z.number().int().positive().max(60_000).default(5_000),
});
type Options = z.output<typeof options>;

export interface RedisRecordFact {
  key: string;
  type: string;
  /** Remaining time to live in ms; -1: no expiry. */
  pttlMs: number;
  state: string | null;
  inProgress: boolean;
}

/** Escapes the glob characters of SCAN MATCH, so a key is matched literally. */
export function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

type Client = ReturnType<typeof createClient>;

export const redisObserver = defineObserver({
  meta: {
    id: 'redis',
    description:
      'Reads the idempotency records of a key from Redis (read-only): how many exist, their remaining TTL and state; counts executions the store cannot account for.',
    options,
  },
  create(o: Options) {
    let client: Client | undefined;
    /** Drops the connection at once (no QUIT round trip that a stalled server would never answer). */
    const drop = (c: Client | undefined): void => {
      if (c === undefined) return;
      if (client === c) client = undefined;
      try {
        c.destroy();
      } catch {
        // already closed
      }
    };
    const connect = async (): Promise<Client> => {
      if (client?.isOpen) return client;
      const c = createClient({
        url: o.url,
        socket: { connectTimeout: o.timeoutMs, reconnectStrategy: false },
        disableClientInfo: true,
      });
      c.on('error', () => undefined); // surfaced by the failing command instead
      client = c;
      try {
        await c.connect();
      } catch (err) {
        drop(c);
        throw new ObserverError('redis', `cannot connect: ${(err as Error).message}`, 'check observe.redis.url');
      }
      return c;
    };

    /**
     * The connection handshake and every command are bounded together: a server that accepts the
     * connection and then answers nothing (paused, overloaded, a black-holing proxy) is a failed
     * observation, never a hung audit.
     */
    const bounded = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ObserverError(
                'redis',
                `${what}: no answer within ${o.timeoutMs} ms`,
                'check that Redis is up and answering, or raise observe.redis.timeoutMs',
              ),
            ),
          o.timeoutMs,
        );
      });
      try {
        return await Promise.race([work(), timeout]);
      } catch (err) {
        // After a timeout or a failed command the connection's state is unknown: start afresh next time.
        drop(client);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    };

    const findKeys = async (c: Client, base: string): Promise<string[]> => {
      const keys = new Set<string>();
      if ((await c.exists(base)) === 1) keys.add(base);
      if (!o.scan) return [...keys];
      let calls = 0;
      for await (const batch of c.scanIterator({ MATCH: `${globEscape(base)}:*`, COUNT: 1000 })) {
        for (const k of batch) keys.add(k);
        if (++calls >= o.maxScanCalls) break;
      }
      return [...keys].sort();
    };

    const readRecord = async (c: Client, key: string): Promise<{ fact: RedisRecordFact; value: unknown }> => {
      const type = await c.type(key);
      const pttlMs = await c.pTTL(key);
      let value: unknown;
      if (type === 'string') {
        const raw = await c.get(key);
        try {
          value = raw === null ? undefined : (JSON.parse(raw) as unknown);
        } catch {
          value = raw;
        }
      } else if (type === 'hash') {
        value = await c.hGetAll(key);
      }
      const stateValue =
        typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[o.stateField] : undefined;
      const state = typeof stateValue === 'string' ? stateValue : null;
      return {
        fact: { key, type, pttlMs, state, inProgress: state !== null && o.inProgress.includes(state) },
        value,
      };
    };

    let infoAllowed = o.evictions;
    /** The eviction figures, or nothing when INFO is off or refused (an ACL without it): they are extras. */
    const readEvictions = async (c: Client): Promise<Record<string, JsonValue>> => {
      if (!infoAllowed) return {};
      try {
        return evictionFacts(`${await c.info('stats')}\n${await c.info('memory')}`);
      } catch {
        infoAllowed = false;
        return {};
      }
    };

    return {
      async count(logicalKey: string, ctx: CountContext): Promise<EffectCount> {
        const base = renderTemplate(o.key, { ...ctx.variables, key: logicalKey });
        const { records, evictions } = await bounded(`reading ${base}`, async () => {
          const c = await connect();
          try {
            const out: { fact: RedisRecordFact; value: unknown }[] = [];
            for (const k of await findKeys(c, base)) {
              const r = await readRecord(c, k);
              // Expired between SCAN and TYPE: not a record any more.
              if (r.fact.type !== 'none') out.push(r);
            }
            return { records: out, evictions: await readEvictions(c) };
          } catch (err) {
            if (err instanceof ObserverError) throw err;
            throw new ObserverError('redis', `reading ${base}: ${(err as Error).message}`);
          }
        });
        const stored = new Set<string>();
        for (const r of records) {
          const body = extractValue(r.value, o.responseBody);
          const canonical = canonicalBody(body);
          if (canonical !== undefined) stored.add(canonical);
        }
        const orphans = orphanAnswers(ctx, stored);
        const count = records.length + orphans;
        const facts: Record<string, JsonValue> = {
          store: 'redis',
          key: base,
          records: records.map((r) => ({ ...r.fact })),
          orphans,
          ...evictions,
        };
        const ttl = records.map((r) => `${r.fact.pttlMs} ms`).join(', ');
        return {
          observer: 'redis',
          count,
          detail:
            `redis ${base}: ${records.length} record(s)${ttl ? `, PTTL ${ttl}` : ''}` +
            (records.length > 0 ? `, state ${records.map((r) => r.fact.state ?? '?').join(', ')}` : '') +
            (orphans > 0 ? `; ${orphans} successful answer(s) match no stored response` : ''),
          evidence: [],
          facts,
        };
      },
      async close() {
        const c = client;
        if (!c?.isOpen) return drop(c);
        // A polite QUIT, but never waiting on a server that stopped answering.
        await bounded('closing', () => c.close()).catch(() => undefined);
        drop(c);
      },
    };
  },
});

/**
 * `evictedKeys` (keys the server evicted since it started), `maxmemory` (bytes, 0: no limit) and
 * `maxmemoryPolicy` from INFO text; a field INFO did not give is left out.
 */
export function evictionFacts(info: string): Record<string, JsonValue> {
  const field = (name: string): string | undefined => {
    const v = new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const out: Record<string, JsonValue> = {};
  const evicted = Number(field('evicted_keys'));
  if (Number.isSafeInteger(evicted) && field('evicted_keys') !== undefined) out['evictedKeys'] = evicted;
  const max = Number(field('maxmemory'));
  if (Number.isSafeInteger(max) && field('maxmemory') !== undefined) out['maxmemory'] = max;
  const policy = field('maxmemory_policy');
  if (policy !== undefined) out['maxmemoryPolicy'] = policy;
  return out;
}

/**
 * Distinct successful answer bodies that no stored response accounts for. Judged only when the
 * store holds a response to compare with; a truncated body cannot be compared and is left out.
 */
function orphanAnswers(ctx: CountContext, stored: ReadonlySet<string>): number {
  if (stored.size === 0) return 0;
  const unmatched = new Set<string>();
  for (const ex of ctx.exchanges) {
    if (!isSuccess(ex) || !ex.response || ex.response.truncated) continue;
    const body = canonicalBody(ex.response.body) ?? ex.response.body;
    if (!stored.has(body)) unmatched.add(body);
  }
  return unmatched.size;
}

/**
 * One spelling per response body, so a store that keeps the body re-serialised (other key order,
 * other whitespace) or as a JSON value rather than text still matches what the client received:
 * a spelling difference is not an extra execution.
 */
export function canonicalBody(body: unknown): string | undefined {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  }
  // No response stored yet (an in-progress record): nothing to match answers against.
  if (value === undefined || value === null) return undefined;
  return canonicalJson(value);
}
