import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startDemoCluster } from '../../demo/cluster.js';
import { startDemoH2Server } from '../../demo/h2.js';
import { FLAWS, parseFlaws } from '../../demo/index.js';
import { UsageError } from '../../errors/errors.js';
import type { CliIo } from '../io.js';
import { addDemoStoreOptions, demoStore, type DemoStoreCliOptions } from './demo-store.js';

export function registerServeDemo(program: Command, io: CliIo): void {
  const cmd = program
    .command('serve-demo')
    .description('run the demo payments API with the chosen idempotency flaws until interrupted')
    .option('--port <port>', 'port to listen on (0: any free port)', '0')
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
    .addOption(
      new Option('--flaws <list>', `flaws to switch on: all, none, or a comma list of ${FLAWS.join(', ')}`).default(
        'all',
      ),
    );
  addDemoStoreOptions(cmd).action(async (opts: ServeDemoCliOptions & DemoStoreCliOptions) => {
    const port = Number(opts.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0..65535, got '${opts.port}'`);
    const nodes = Number(opts.nodes);
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 16)
      throw new UsageError(`--nodes must be 1..16, got '${opts.nodes}'`);
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
      await untilStopped();
      await h2.close();
      await store.close();
      return;
    }
    const { store: sharedStore, ledger: sharedLedger, ...rest } = store.options;
    const cluster = await startDemoCluster({
      host: opts.host,
      port,
      flaws,
      nodes,
      ...rest,
      ...(opts.downstreamUrl === undefined ? {} : { downstreamUrl: opts.downstreamUrl }),
      storage: { ...(sharedStore ? { store: sharedStore } : {}), ...(sharedLedger ? { ledger: sharedLedger } : {}) },
    });
    const server = { close: () => cluster.close() };
    io.stdout(
      `demo target listening on ${cluster.nodes.map((n) => n.url).join(', ')} (flaws: ${[...flaws].join(', ') || 'none'}; ${store.description})\n`,
    );
    await untilStopped();
    await server.close();
    await store.close();
  });
}

function untilStopped(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

interface ServeDemoCliOptions {
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
