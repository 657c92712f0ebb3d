import { Option, type Command } from 'commander';
import { startDemoCluster } from '../../demo/cluster.js';
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
    const store = await demoStore(opts, flaws);
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
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    await store.close();
  });
}

interface ServeDemoCliOptions {
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
