/**
 * `idem-audit init`: a starter scenario from flags (or questions on a terminal), or a drafted
 * one with `--from-openapi`. Both write the JSON Schema beside the scenario for editors.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { basename, resolve } from 'node:path';
import { scenarioJsonSchema } from '../../config/index.js';
import { InterruptedError } from '../../errors/errors.js';
import { scenarioFromOpenApi, slugify, summarizeDraft } from '../../init/openapi.js';
import {
  askStarter,
  checkBaseUrl,
  checkMethod,
  checkPath,
  parseBody,
  type Prompter,
  type StarterAnswers,
} from '../../init/prompt.js';
import { STARTER_DEFAULTS, starterScenario } from '../../init/starter.js';
import { SCHEMA_FILE, assertNewFile, writeInitFiles } from '../../init/write.js';
import { EXIT } from '../../verdict/exit-codes.js';
import { extensionSchemas } from '../../engine/extension-schemas.js';
import type { CliIo } from '../io.js';

interface InitCliOptions {
  out: string;
  baseUrl?: string;
  path?: string;
  method?: string;
  body?: string;
  name?: string;
  yes?: boolean;
  force?: boolean;
  fromOpenapi?: string;
  put?: boolean;
  delete?: boolean;
}

export function registerInit(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('init')
    .description('write a commented starter scenario (asks on a terminal; --yes takes the defaults)')
    .option('--out <file>', 'scenario file to write', 'idem-audit.yaml')
    .option('--base-url <url>', "base URL of the API (with --from-openapi: instead of the spec's server)")
    .option('--path <path>', 'path of the operation to audit')
    .option('--method <method>', 'method of the operation (default POST)')
    .option('--body <json>', 'JSON body of the request')
    .option('--name <name>', 'scenario name')
    .option('-y, --yes', 'ask nothing; use flags and defaults')
    .option('--force', 'overwrite an existing file')
    .option('--from-openapi <spec>', 'draft endpoints from an OpenAPI description (YAML or JSON)')
    .option('--put', 'with --from-openapi: include PUT operations')
    .option('--delete', 'with --from-openapi: include DELETE operations')
    .action(async (opts: InitCliOptions) => {
      const file = resolve(io.cwd, opts.out);
      const name = opts.name ?? slugify(basename(io.cwd));
      // Before any question: answering them all only to hear the file exists wastes the user's time.
      assertNewFile(file, opts.force === true);
      let text: string;
      let summary = '';
      if (opts.fromOpenapi !== undefined) {
        const o: Parameters<typeof scenarioFromOpenApi>[1] = {
          schemaRef: `./${SCHEMA_FILE}`,
          includePut: opts.put === true,
          includeDelete: opts.delete === true,
        };
        if (opts.baseUrl !== undefined) o.baseUrl = checkBaseUrl(opts.baseUrl);
        if (opts.name !== undefined) o.name = opts.name;
        const drafted = await scenarioFromOpenApi(resolve(io.cwd, opts.fromOpenapi), o);
        text = drafted.text;
        summary = `${summarizeDraft(drafted.draft)}\n`;
      } else {
        // Flags are checked before anything is asked, answers as they are given.
        const given: Partial<StarterAnswers> = {};
        if (opts.baseUrl !== undefined) given.baseUrl = checkBaseUrl(opts.baseUrl);
        if (opts.path !== undefined) given.path = checkPath(opts.path);
        if (opts.method !== undefined) given.method = checkMethod(opts.method);
        if (opts.body !== undefined) given.body = parseBody(opts.body);
        const terminal = io.isTTY && opts.yes !== true ? io.terminal : undefined;
        let answers: StarterAnswers;
        try {
          answers = terminal ? await askOnTerminal(terminal, given) : withDefaults(given);
        } catch (err) {
          if (!(err instanceof InterruptedError)) throw err;
          io.stderr('\ninit: cancelled, nothing written\n');
          setExit(EXIT.interrupted);
          return;
        }
        text = starterScenario({
          name,
          baseUrl: answers.baseUrl,
          method: answers.method,
          path: answers.path,
          body: answers.body,
          keyHeader: STARTER_DEFAULTS.keyHeader,
          schemaRef: `./${SCHEMA_FILE}`,
        });
      }
      const written = writeInitFiles(file, text, scenarioJsonSchema(extensionSchemas()), opts.force === true);
      io.stdout(
        `${summary}wrote ${written.scenario}\n  and ${written.schema} (editor completion)\nnext: idem-audit validate ${opts.out} && idem-audit run ${opts.out}\n`,
      );
      setExit(0);
    });
}

function withDefaults(given: Partial<StarterAnswers>): StarterAnswers {
  return {
    baseUrl: given.baseUrl ?? STARTER_DEFAULTS.baseUrl,
    method: given.method ?? STARTER_DEFAULTS.method,
    path: given.path ?? STARTER_DEFAULTS.path,
    body: 'body' in given ? given.body : {},
  };
}

async function askOnTerminal(
  terminal: NonNullable<CliIo['terminal']>,
  given: Partial<StarterAnswers>,
): Promise<StarterAnswers> {
  const rl = createInterface({ input: terminal.input, output: terminal.output });
  const prompter: Prompter = {
    // readline rejects a pending question with an AbortError on Ctrl-C (there is no SIGINT
    // listener) and on Ctrl-D or the end of input: the user cancelled, it is not a bug.
    ask: (question) =>
      rl.question(question).catch((err: unknown) => {
        throw (err as { name?: unknown } | undefined)?.name === 'AbortError' ? new InterruptedError() : err;
      }),
    tell: (line) => terminal.output.write(`${line}\n`),
  };
  try {
    return await askStarter(prompter, given);
  } finally {
    rl.close();
  }
}
