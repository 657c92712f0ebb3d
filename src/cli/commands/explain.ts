/**
 * `idem-audit explain <attack>`: one attack's metadata (what it sends, its options, every
 * finding it can report) rendered from the same `meta` the engine and the reports use.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_SUITE, attacks } from '../../attacks/index.js';
import type { Attack } from '../../attacks/types.js';
import { UsageError } from '../../errors/errors.js';
import { closest } from '../../config/suggest.js';
import type { CliIo } from '../io.js';

export interface OptionDoc {
  name: string;
  type: string;
  default: string | undefined;
  description: string | undefined;
}

/** Top-level options of an attack, read from its zod schema through JSON Schema. */
export function optionDocs(attack: Attack): OptionDoc[] {
  const json = z.toJSONSchema(attack.meta.options, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Record<string, unknown>>;
  };
  return Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    type: describeType(p),
    default: p['default'] === undefined ? undefined : JSON.stringify(p['default']),
    description: typeof p['description'] === 'string' ? p['description'] : undefined,
  }));
}

function describeType(p: Record<string, unknown>): string {
  if (Array.isArray(p['enum'])) return p['enum'].map((v) => JSON.stringify(v)).join(' | ');
  const variants = p['anyOf'] ?? p['oneOf'];
  if (Array.isArray(variants))
    return variants
      .map((v) => (typeof v === 'object' && v !== null ? describeType(v as Record<string, unknown>) : '?'))
      .join(' | ');
  if ('const' in p) return JSON.stringify(p['const']);
  const type = typeof p['type'] === 'string' ? p['type'] : 'value';
  const bounds: string[] = [];
  if (typeof p['minimum'] === 'number') bounds.push(`≥ ${p['minimum']}`);
  if (typeof p['maximum'] === 'number') bounds.push(`≤ ${p['maximum']}`);
  return bounds.length > 0 ? `${type} (${bounds.join(', ')})` : type;
}

export function explainAttack(attack: Attack): string {
  const m = attack.meta;
  const lines = [
    `${m.id}: ${m.title}`,
    '',
    m.description,
    '',
    ...(m.sends !== undefined ? [`sends: ${plain(m.sends)}`] : []),
    ...(m.finds !== undefined ? [`finds: ${plain(m.finds)}`] : []),
    `in the default suite: ${DEFAULT_SUITE.includes(m.id) ? 'yes' : "no (name it under an endpoint's attacks:)"}`,
    `timing-dependent: ${m.timingDependent ? 'yes (a clean run does not prove the flaw absent)' : 'no'}`,
    ...(m.hooks
      ? [
          `hooks: needs ${m.hooks.required.join(', ')}${m.hooks.optional?.length ? ` (uses ${m.hooks.optional.join(', ')} when declared)` : ''}; runs only with --allow-hooks (docs/hooks.md)`,
        ]
      : []),
    '',
    'options:',
  ];
  const opts = optionDocs(attack);
  if (opts.length === 0) lines.push('  (none)');
  for (const o of opts) {
    const def = o.default === undefined ? '' : ` = ${o.default}`;
    lines.push(`  ${o.name}: ${o.type}${def}${o.description ? `  ${o.description}` : ''}`);
  }
  lines.push('', 'findings:');
  for (const [kind, f] of Object.entries(m.findings)) {
    lines.push(`  ${kind} (${f.severity}): ${f.title}`);
    lines.push(`    fix: ${f.remediation}`);
    if (f.references.length > 0) lines.push(`    breaks: ${f.references.join(', ')}`);
  }
  lines.push('', `docs: docs/attacks/${m.id}.md`);
  return `${lines.join('\n')}\n`;
}

/** The README's markdown in a terminal: code spans without their backticks. */
function plain(markdown: string): string {
  return markdown.replace(/`([^`]*)`/g, '$1');
}

export function registerExplain(program: Command, io: CliIo): void {
  program
    .command('explain')
    .description('describe one attack: what it sends, its options, and the findings it can report')
    .argument('<attack>', 'attack id (see idem-audit list attacks)')
    .action((id: string) => {
      // Own properties only: `explain constructor` must not find Object.prototype's.
      const attack = Object.hasOwn(attacks, id) ? attacks[id] : undefined;
      if (!attack) {
        const near = closest(id, Object.keys(attacks));
        throw new UsageError(
          `explain: unknown attack '${id}'`,
          near ? `did you mean '${near}'?` : `run 'idem-audit list attacks' to see them all`,
        );
      }
      io.stdout(explainAttack(attack));
    });
}
