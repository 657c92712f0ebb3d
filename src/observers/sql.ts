/**
 * sql: counts side effects where they land, in the target's PostgreSQL. Either a query that
 * returns the count for a key (one numeric cell; `{{key}}` in `params`), or, for a table that does
 * not record the key, the growth of a count since the previous observation (delta mode). Every
 * query runs in a READ ONLY transaction with a statement timeout: observing must never write,
 * and a locked table must not hang the audit. The connection string is a secret (`url`).
 */
import pg from 'pg';
import { z } from 'zod';
import { ObserverError } from '../errors/errors.js';
import { OBSERVER_VARIABLES, renderTemplate, templateField } from '../scenario/template.js';
import { defineObserver } from './types.js';

const options = z
  .strictObject({
    /** Connection string, usually `${DATABASE_URL}`: interpolated values here are redacted from reports. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'a postgres:// connection string')
      .refine((u) => URL.canParse(u), 'not a valid URL (check the host, port and escaping of the password)'),
    /** SELECT returning one row with one numeric cell. */
    query: z.string().min(1),
    /** Values for $1, $2, …; `{{key}}` is replaced by the idempotency key. */
    params: z.array(templateField({ variables: OBSERVER_VARIABLES, what: 'a query parameter' })).default([]),
    /** count: the query counts for the key. delta: the query counts everything; the growth since the last observation is the count. */
    mode: z.enum(['count', 'delta']).default('count'),
    /** Statement timeout of each observation. */
    timeoutMs: z.number().int().positive().max(60_000).default(5_000),
  })
  .superRefine((o, ctx) => {
    if (o.query.includes('{{'))
      ctx.addIssue({
        code: 'custom',
        path: ['query'],
        message: 'the query text is not a template: {{...}} would be sent to the database literally',
        params: { hint: 'use $1 in the query and `params: ["{{key}}"]`' },
      });
    else if (o.mode === 'count' && !o.params.some((p) => p.includes('{{key}}')))
      ctx.addIssue({
        code: 'custom',
        path: ['params'],
        message: 'a count-mode query must bind {{key}} through params',
        params: {
          hint: 'e.g. `query: select count(*) from payments where idempotency_key = $1`, `params: ["{{key}}"]`, or use mode: delta',
        },
      });
    const highest = Math.max(0, ...sqlPlaceholders(o.query));
    if (highest !== o.params.length)
      ctx.addIssue({
        code: 'custom',
        path: ['params'],
        message: `the query uses ${highest === 0 ? 'no placeholder' : `placeholders up to $${highest}`} but params gives ${o.params.length} value(s); PostgreSQL refuses the mismatch`,
        params: { hint: 'give one params entry per $n, in order' },
      });
  });
type Options = z.output<typeof options>;

/** How much longer than the statement timeout the client waits before giving up on the server. */
const CLIENT_TIMEOUT_SLACK_MS = 1_000;

export const sqlObserver = defineObserver({
  meta: {
    id: 'sql',
    description:
      'Counts side effects in PostgreSQL: a read-only query returning the count for {{key}}, or the growth of a count (delta mode).',
    options,
  },
  create(o: Options) {
    const pool = new pg.Pool({
      connectionString: o.url,
      max: 2,
      connectionTimeoutMillis: o.timeoutMs,
      // The statement timeout is enforced by the server; a server or network that stops answering
      // altogether needs a bound on the client side too, or the audit (and Ctrl-C) waits forever.
      query_timeout: o.timeoutMs + CLIENT_TIMEOUT_SLACK_MS,
    });
    // An idle client that errors (server restart) must not crash the audit; the next query reports it.
    pool.on('error', () => undefined);
    let baseline: number | undefined;

    const read = async (key: string, variables: Readonly<Record<string, string>> = {}): Promise<number> => {
      const params = o.params.map((p) => renderTemplate(p, { ...variables, key }));
      const client = await pool.connect().catch((err: unknown) => {
        throw new ObserverError(
          'sql',
          `cannot connect: ${describe(err)}`,
          'Check the connection string and that the database is reachable.',
        );
      });
      let broken: Error | undefined;
      try {
        await client.query('BEGIN READ ONLY');
        await client.query(`SET LOCAL statement_timeout = ${o.timeoutMs}`);
        // The extended protocol runs exactly one statement. Without parameters pg would use the
        // simple protocol, where `select 1; commit; delete from payments` ends the read-only
        // transaction and writes.
        const r = await client.query<Record<string, unknown>>({
          text: o.query,
          values: params,
          queryMode: 'extended',
        } as pg.QueryConfig);
        await client.query('COMMIT');
        return single(r.rows);
      } catch (err) {
        // Never reuse the connection of a failed observation: it may still be inside the
        // transaction or waiting on an answer that will never come. Closing it rolls back.
        broken = err instanceof Error ? err : new Error(String(err));
        if (err instanceof ObserverError) throw err;
        throw new ObserverError(
          'sql',
          `query failed: ${describe(err)}`,
          'The query must be a single read-only SELECT returning one numeric cell.',
        );
      } finally {
        client.release(broken ?? false);
      }
    };

    return {
      async start() {
        if (o.mode === 'delta') baseline = await read('');
      },
      describe: () => `sql (${o.mode})`,
      async count(key, ctx) {
        if (o.mode === 'count') {
          const n = await read(key, ctx.variables);
          return { observer: 'sql', count: n, detail: `${o.query} → ${n}`, evidence: [] };
        }
        const now = await read(key, ctx.variables);
        const before = baseline ?? now;
        baseline = now;
        const n = Math.max(0, now - before);
        return { observer: 'sql', count: n, detail: `${o.query}: ${before} → ${now} (delta ${n})`, evidence: [] };
      },
      close: () => pool.end(),
    };
  },
});

function single(rows: readonly Record<string, unknown>[]): number {
  const row = rows[0];
  const cells = row ? Object.values(row) : [];
  const cell = cells[0];
  const n = typeof cell === 'number' ? cell : typeof cell === 'string' || typeof cell === 'bigint' ? Number(cell) : NaN;
  if (rows.length !== 1 || cells.length !== 1 || !Number.isSafeInteger(n) || n < 0)
    throw new ObserverError(
      'sql',
      `the query must return exactly one row with one non-negative integer cell (got ${rows.length} row(s), ${cells.length} cell(s))`,
      'e.g. `select count(*) from payments where idempotency_key = $1`',
    );
  return n;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The `$n` placeholders of a query, outside string literals, quoted identifiers, dollar-quoted
 * strings and comments (where `$1` is just text). PostgreSQL infers the parameter count from the
 * highest one, and refuses a bind with any other count.
 */
export function sqlPlaceholders(query: string): number[] {
  const code = query.replace(
    /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_]\w*)?\$[\s\S]*?\$\1\$/g,
    ' ',
  );
  return [...code.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
}
