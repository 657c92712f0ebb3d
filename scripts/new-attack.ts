/**
 * `npm run new-attack -- <id> [--root DIR]`: scaffolds a new attack (see lib/scaffold-attack.ts)
 * and says what is left to do.
 */
import { resolve } from 'node:path';
import { ScaffoldError, scaffoldAttack } from './lib/scaffold-attack.js';

async function main(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf('--root');
  const root = resolve(at >= 0 ? (argv[at + 1] ?? '.') : '.');
  const id = argv.filter((a, i) => !a.startsWith('--') && (at < 0 || i !== at + 1))[0];
  if (id === undefined) {
    process.stderr.write('usage: npm run new-attack -- <attack-id> [--root DIR]\n');
    return 2;
  }
  const files = await scaffoldAttack(root, id);
  process.stdout.write(
    [
      `scaffolded ${id}:`,
      ...files.map((f) => `  ${f}`),
      '',
      'Next (ARCHITECTURE.md, "Add an attack"):',
      `  1. write run() in src/attacks/${id}.ts; until then it is inconclusive: "not implemented"`,
      `  2. make src/attacks/${id}.test.ts pass: a flawed target found, a correct one silent, the edge cases`,
      `  3. fill in docs/attacks/${id}.md, then npm run docs:attacks (the README row)`,
      `  4. add its end-to-end test to src/attacks/demo.test.ts (a demo flaw, if the demo has none for it)`,
      '',
    ].join('\n'),
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (!(err instanceof ScaffoldError)) throw err;
    process.stderr.write(`new-attack: ${err.message}\n`);
    process.exit(2);
  },
);
