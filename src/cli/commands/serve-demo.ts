import { Option, type Command } from 'commander';
import { FLAWS, parseFlaws, startDemoServer } from '../../demo/index.js';
import { UsageError } from '../../errors/errors.js';
import type { CliIo } from '../io.js';

export function registerServeDemo(program: Command, io: CliIo): void {
  program
    .command('serve-demo')
    .description('run the demo payments API with the chosen idempotency flaws until interrupted')
    .option('--port <port>', 'port to listen on (0: any free port)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option('--flaws <list>', `flaws to switch on: all, none, or a comma list of ${FLAWS.join(', ')}`).default(
        'all',
      ),
    )
    .action(async (opts: { port: string; host: string; flaws: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port must be 0..65535, got '${opts.port}'`);
      const flaws = toFlaws(opts.flaws);
      const server = await startDemoServer({ host: opts.host, port, flaws });
      io.stdout(`demo target listening on ${server.url} (flaws: ${[...flaws].join(', ') || 'none'})\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
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
