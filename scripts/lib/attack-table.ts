/**
 * The README's attack table, generated from each registered attack's meta (`sends`, `finds`), so
 * the table cannot drift from the code: `npm run docs:attacks` rewrites it, and
 * test/extensions.test.ts fails when the README is not what this would write.
 */
import { join } from 'node:path';
import * as prettier from 'prettier';
import type { Attack } from '../../src/attacks/types.js';

export const TABLE_START = '<!-- attacks:start: generated from each attack’s meta by `npm run docs:attacks` -->';
export const TABLE_END = '<!-- attacks:end -->';

/** Default-suite attacks in catalogue order, then the opt-in ones in registry order. */
export function catalogueOrder(attacks: Readonly<Record<string, Attack>>, defaultSuite: readonly string[]): Attack[] {
  const inSuite = defaultSuite.flatMap((id) => (Object.hasOwn(attacks, id) && attacks[id] ? [attacks[id]] : []));
  const optIn = Object.values(attacks).filter((a) => !defaultSuite.includes(a.meta.id));
  return [...inSuite, ...optIn];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

export function attackTable(attacks: Readonly<Record<string, Attack>>, defaultSuite: readonly string[]): string {
  const rows = catalogueOrder(attacks, defaultSuite).map((a) => {
    const { id, sends, finds } = a.meta;
    if (sends === undefined || finds === undefined)
      throw new Error(`attack ${id}: meta.sends and meta.finds are needed for the README table`);
    const name = `\`${id}\`${defaultSuite.includes(id) ? '' : ' (opt-in)'}`;
    return `| ${name} | ${cell(sends)} | ${cell(finds)} |`;
  });
  return ['| attack | sends | finds |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with the table between the markers regenerated, formatted as `prettier --check` expects. */
export async function withAttackTable(
  readme: string,
  attacks: Readonly<Record<string, Attack>>,
  defaultSuite: readonly string[],
  root: string,
): Promise<string> {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} block`);
  const text = `${readme.slice(0, start + TABLE_START.length)}\n\n${attackTable(attacks, defaultSuite)}\n\n${readme.slice(end)}`;
  const file = join(root, 'README.md');
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...config, filepath: file });
}
