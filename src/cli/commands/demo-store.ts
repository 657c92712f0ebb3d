/**
 * `serve-demo --store redis --redis-url … [--redis-mode racy|short-ttl] [--key-cost-ms n]`:
 * the demo options those flags add, and the store's owner-side cleanup.
 */
import { Option, type Command } from 'commander';
import type { DemoOptions } from '../../demo/index.js';
import { REDIS_STORE_MODES, RedisKeyStore, type RedisStoreMode } from '../../demo/redis-store.js';
import type { FlawId } from '../../demo/flaws.js';
import { PostgresDemoDb, postgresDemoStorage } from '../../demo/postgres-store.js';
import { UsageError } from '../../errors/errors.js';

export interface DemoStoreCliOptions {
  store: string;
  redisUrl?: string;
  databaseUrl?: string;
  redisMode: string;
  keyCostMs?: string;
}

export function addDemoStoreOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--store <kind>', 'where the idempotency layer keeps its keys')
        .choices(['memory', 'redis', 'postgres'])
        .default('memory'),
    )
    .option('--database-url <url>', 'with --store postgres: the PostgreSQL to use (default: $DATABASE_URL)')
    .option('--redis-url <url>', 'with --store redis: the Redis to use, e.g. redis://127.0.0.1:6379')
    .addOption(
      new Option(
        '--redis-mode <mode>',
        'with --store redis: correct (SET NX PX), racy (GET then SET) or short-ttl (60 s expiry)',
      )
        .choices([...REDIS_STORE_MODES])
        .default('correct'),
    )
    .option(
      '--key-cost-ms <ms>',
      'artificial latency every keyed request pays in the idempotency layer (latency-overhead)',
    );
}

export interface DemoStore {
  options: Pick<DemoOptions, 'store' | 'ledger' | 'keyCostMs'>;
  description: string;
  close(): Promise<void>;
}

export async function demoStore(
  o: DemoStoreCliOptions,
  flaws: ReadonlySet<FlawId> = new Set(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<DemoStore> {
  const options: DemoStore['options'] = {};
  if (o.keyCostMs !== undefined) {
    const ms = Number(o.keyCostMs);
    if (!Number.isFinite(ms) || ms < 0)
      throw new UsageError(`--key-cost-ms must be a non-negative number, got '${o.keyCostMs}'`);
    options.keyCostMs = ms;
  }
  if (o.store === 'postgres') return postgresStore(options, o.databaseUrl ?? env['DATABASE_URL'], flaws);
  if (o.store !== 'redis') return { options, description: 'memory store', close: () => Promise.resolve() };
  if (o.redisUrl === undefined)
    throw new UsageError('--store redis needs --redis-url', 'e.g. --redis-url redis://127.0.0.1:6379');
  let store: RedisKeyStore;
  try {
    store = await RedisKeyStore.connect({ url: o.redisUrl, mode: o.redisMode as RedisStoreMode });
  } catch (err) {
    throw new UsageError(`cannot connect to Redis at --redis-url: ${(err as Error).message}`);
  }
  // One store for every variant: keys are fresh per request, and the records stay in one place to observe.
  options.store = () => store;
  return { options, description: `redis store (${o.redisMode})`, close: () => store.close() };
}

/** Every node pointed at one database shares keys and ledger; the race flaw's variant gets the unconstrained table. */
async function postgresStore(
  options: DemoStore['options'],
  url: string | undefined,
  flaws: ReadonlySet<FlawId>,
): Promise<DemoStore> {
  if (url === undefined || url === '')
    throw new UsageError(
      '--store postgres needs --database-url (or DATABASE_URL)',
      'e.g. --database-url postgres://user:pw@127.0.0.1:5432/demo',
    );
  const db = new PostgresDemoDb(url);
  try {
    await db.migrate();
  } catch (err) {
    await db.close().catch(() => undefined);
    // The message never repeats the connection string: it may carry a password.
    throw new UsageError(`cannot prepare the PostgreSQL demo tables: ${(err as Error).message}`);
  }
  const storage = postgresDemoStorage(db, flaws);
  options.store = storage.store;
  options.ledger = storage.ledger;
  return { options, description: 'postgres store', close: () => db.close() };
}
