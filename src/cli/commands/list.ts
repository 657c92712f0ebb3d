/**
 * `idem-audit list attacks|observers|reporters`: the registries as the code sees them, so the
 * list can never drift from what a scenario accepts.
 */
import type { Command } from 'commander';
import { DEFAULT_SUITE, attacks } from '../../attacks/index.js';
import { UsageError } from '../../errors/errors.js';
import { observers } from '../../observers/index.js';
import { reporters } from '../../reporters/index.js';
import type { CliIo } from '../io.js';

export const LIST_KINDS = ['attacks', 'observers', 'reporters'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

interface Row {
  id: string;
  text: string;
}

export function listRows(kind: ListKind): Row[] {
  switch (kind) {
    case 'attacks':
      return Object.values(attacks).map((a) => ({
        id: a.meta.id,
        text: `${a.meta.title}${DEFAULT_SUITE.includes(a.meta.id) ? '' : ' (opt-in)'}`,
      }));
    case 'observers':
      return Object.entries(observers).map(([id, o]) => ({ id, text: o.meta.description }));
    case 'reporters':
      return Object.entries(reporters).map(([id, r]) => ({
        id,
        text: `${r.meta.description} → ${r.meta.destination}${r.meta.selectable ? '' : ' (automatic)'}`,
      }));
  }
}

export function registerList(program: Command, io: CliIo): void {
  program
    .command('list')
    .description('list the registered attacks, observers or reporters')
    .argument('<kind>', LIST_KINDS.join('|'))
    .action((kind: string) => {
      if (!isListKind(kind))
        throw new UsageError(`list: unknown kind '${kind}'`, `use one of ${LIST_KINDS.join(', ')}`);
      const rows = listRows(kind);
      const width = Math.max(...rows.map((r) => r.id.length), 0);
      for (const r of rows) io.stdout(`${r.id.padEnd(width)}  ${r.text}\n`);
      if (kind === 'attacks') io.stdout(`\nrun 'idem-audit explain <attack>' for details\n`);
    });
}

function isListKind(s: string): s is ListKind {
  return (LIST_KINDS as readonly string[]).includes(s);
}
