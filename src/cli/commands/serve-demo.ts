import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startDemoCluster } from '../../demo/cluster.js';
import { DemoDatabaseClient, RemoteKeyStore, RemoteLedger } from '../../demo/remote-store.js';
import { startDemoH2Server } from '../../demo/h2.js';
import { FLAWS, parseFlaws, type DemoOptions } from '../../demo/index.js';
import { UsageError } from '../../errors/errors.js';
import type { CliIo } from '../io.js';
import { addDemoStoreOptions, demoStore, type DemoStoreCliOptions } from './demo-store.js';

export function registerServeDemo(program: Command, io: CliIo): void {
  const cmd = program
    .command('serve-demo')
    .description('run the demo payments API with the chosen idempotency flaws until interrupted')
    .option('--port <port>', 'port to listen on (0: any free port), or one per node: 4010,4011', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--nodes <n>',
      'instances to run (on --port, --port+1, …), sharing the store unless a flaw says otherwise',
      '1',
    )
    .option(
      '--downstream-url <url>',
      'the provider POST /<flaw>/charges calls (a sink observer, e.g. http://127.0.0.1:4020)',
    )
    .addOption(
      new Option(
        '--http2 <mode>',
        'serve HTTP/2 instead: h2c (cleartext, prior knowledge; set target.http2: true) or tls (h2 and HTTP/1.1 over TLS with a fresh self-signed certificate; needs openssl)',
      ).choices(['h2c', 'tls']),
    )
    .option('--cert-out <file>', 'with --http2 tls: write the certificate here, for NODE_EXTRA_CA_CERTS')
    .option(
      '--demo-database <url>',
      'the demo database (idem-audit demo runs one) where memory-keys, orphaned-reservation and store-fails-open keep their keys and records, so they outlive this process',
    )
    .option(
      '--demo-database-keys <url>',
      'reach the demo database for key records at this URL instead (a proxy the store-outage hooks switch off)',
    )
    .addOption(new Option('--exit-on-stdin-close', 'stop when stdin closes (a supervisor that died)').hideHelp())
    .addOption(
      new Option('--flaws <list>', `flaws to switch on: all, none, or a comma list of ${FLAWS.join(', ')}`).default(
        'all',
      ),
    );
  addDemoStoreOptions(cmd).action(async (opts: ServeDemoCliOptions & DemoStoreCliOptions) => {
    const ports = opts.port.split(',').map((p) => Number(p.trim()));
    if (ports.some((p) => !Number.isInteger(p) || p < 0 || p > 65535))
      throw new UsageError(`--port must be 0..65535 (or a comma list, one per node), got '${opts.port}'`);
    const port = ports[0] ?? 0;
    const nodes = Number(opts.nodes);
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 16)
      throw new UsageError(`--nodes must be 1..16, got '${opts.nodes}'`);
    if (ports.length > 1 && ports.length !== nodes)
      throw new UsageError(`--port lists ${ports.length} ports for ${nodes} node(s)`, 'give one port, or one per node');
    if (opts.demoDatabaseKeys !== undefined && opts.demoDatabase === undefined)
      throw new UsageError('--demo-database-keys needs --demo-database');
    const flaws = toFlaws(opts.flaws);
    if (opts.http2 !== undefined && nodes > 1) throw new UsageError('--http2 serves one node; drop --nodes');
    if (opts.certOut !== undefined && opts.http2 !== 'tls') throw new UsageError('--cert-out needs --http2 tls');
    const store = await demoStore(opts, flaws);
    if (opts.http2 !== undefined) {
      const h2 = await startDemoH2Server({
        host: opts.host,
        port,
        flaws,
        tls: opts.http2 === 'tls',
        ...store.options,
        ...(opts.downstreamUrl === undefined ? {} : { downstreamUrl: opts.downstreamUrl }),
      });
      if (opts.certOut !== undefined && h2.cert !== undefined) writeFileSync(resolve(io.cwd, opts.certOut), h2.cert);
      io.stdout(
        `demo target (HTTP/2 ${opts.http2}) listening on ${h2.url} (flaws: ${[...flaws].join(', ') || 'none'}; ${store.description})\n`,
      );
      await untilStopped(opts.exitOnStdinClose === true);
      await h2.close();
      await store.close();
      return;
    }
    const { store: sharedStore, ledger: sharedLedger, ...rest } = store.options;
    const database = demoDatabase(opts);
    const cluster = await startDemoCluster({
      host: opts.host,
      port,
      ...(ports.length > 1 ? { ports } : {}),
      flaws,
      nodes,
      ...rest,
      ...(opts.downstreamUrl === undefined ? {} : { downstreamUrl: opts.downstreamUrl }),
      ...(database ? { database: database.storage } : {}),
      storage: { ...(sharedStore ? { store: sharedStore } : {}), ...(sharedLedger ? { ledger: sharedLedger } : {}) },
    });
    const server = {
      close: async () => {
        await cluster.close();
        database?.close();
      },
    };
    io.stdout(
      `demo target listening on ${cluster.nodes.map((n) => n.url).join(', ')} (flaws: ${[...flaws].join(', ') || 'none'}; ${store.description})\n`,
    );
    await untilStopped(opts.exitOnStdinClose === true);
    await server.close();
    await store.close();
  });
}

function untilStopped(withStdin = false): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // A supervised demo must not outlive its supervisor: its stdin is the supervisor's pipe.
    if (withStdin) {
      process.stdin.on('data', () => undefined);
      process.stdin.once('end', stop);
      process.stdin.once('close', stop);
    }
  });
}

/** The demo database's clients (one for keys, possibly through a proxy; one for records), when one is given. */
function demoDatabase(
  opts: ServeDemoCliOptions,
): { storage: NonNullable<DemoOptions['database']>; close(): void } | undefined {
  if (opts.demoDatabase === undefined) return undefined;
  const records = new DemoDatabaseClient(opts.demoDatabase);
  const keys = opts.demoDatabaseKeys === undefined ? records : new DemoDatabaseClient(opts.demoDatabaseKeys);
  return {
    storage: { store: (v) => new RemoteKeyStore(keys, v), ledger: (v) => new RemoteLedger(records, v) },
    close: () => {
      keys.close();
      records.close();
    },
  };
}

interface ServeDemoCliOptions {
  demoDatabase?: string;
  demoDatabaseKeys?: string;
  exitOnStdinClose?: boolean;
  http2?: 'h2c' | 'tls';
  certOut?: string;
  port: string;
  host: string;
  flaws: string;
  nodes: string;
  downstreamUrl?: string;
}

export function toFlaws(spec: string): ReturnType<typeof parseFlaws> {
  try {
    return parseFlaws(spec);
  } catch (err) {
    throw new UsageError(
      err instanceof Error ? err.message : String(err),
      `valid flaws: all, none, ${FLAWS.join(', ')}`,
    );
  }
}
