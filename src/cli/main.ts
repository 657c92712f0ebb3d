/**
 * The command line: parse, dispatch, and map every outcome to a documented exit code.
 * Nothing below here calls process.exit, so the whole CLI can run inside a test.
 */
import { Command, CommanderError } from 'commander';
import { registerBaseline } from './commands/baseline.js';
import { registerDemo } from './commands/demo.js';
import { registerExplain } from './commands/explain.js';
import { registerInit } from './commands/init.js';
import { registerList } from './commands/list.js';
import { registerMerge } from './commands/merge.js';
import { registerReplay } from './commands/replay.js';
import { registerRun } from './commands/run.js';
import { registerSchema } from './commands/schema.js';
import { registerServeDemo } from './commands/serve-demo.js';
import { registerValidate } from './commands/validate.js';
import { EXIT, exitCodeForError } from '../verdict/exit-codes.js';
import { processIo, type CliIo } from './io.js';
import { packageVersion } from '../package-info.js';
import { renderError } from './render-error.js';

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = EXIT.clean;
  const setExit = (code: number): void => {
    exitCode = code;
  };
  const program = new Command('idem-audit')
    .description('Audits HTTP APIs for idempotency bugs: duplicate writes, payload-mismatch acceptance, scope leaks.')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showHelpAfterError('(run idem-audit --help for usage)');
  registerRun(program, io, setExit);
  registerDemo(program, io, setExit);
  registerMerge(program, io, setExit);
  registerReplay(program, io, setExit);
  registerBaseline(program, io, setExit);
  registerValidate(program, io, setExit);
  registerSchema(program, io);
  registerServeDemo(program, io);
  registerInit(program, io, setExit);
  registerList(program, io);
  registerExplain(program, io);

  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, successfully.
      return err.exitCode === 0 ? EXIT.clean : EXIT.usage;
    }
    io.stderr(`${renderError(err, debug)}\n`);
    return exitCodeForError(err);
  }
}
