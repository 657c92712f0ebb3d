/**
 * `npm run docs:attacks [-- --root DIR]`: rewrites the README's attack table from the attack
 * registry (each attack's `meta.sends` and `meta.finds`). Prints whether anything changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_SUITE, attacks } from '../src/attacks/index.js';
import { withAttackTable } from './lib/attack-table.js';

async function main(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf('--root');
  const root = resolve(at >= 0 ? (argv[at + 1] ?? '.') : '.');
  const file = join(root, 'README.md');
  const before = readFileSync(file, 'utf8');
  const after = await withAttackTable(before, attacks, DEFAULT_SUITE, root);
  if (after === before) {
    process.stdout.write('README.md: the attack table is up to date\n');
    return 0;
  }
  writeFileSync(file, after);
  process.stdout.write(`README.md: attack table rewritten (${Object.keys(attacks).length} attacks)\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`docs:attacks: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
