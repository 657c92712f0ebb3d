/**
 * `npm run new-attack -- <id>`: the four files of a new attack. The attack, its unit test on the
 * fake context, its docs page, and its entry in the registry (sorted). The skeleton compiles and
 * is registered, but it is honest about being empty: its run sends nothing and marks itself
 * inconclusive ("not implemented"), which an audit reports as not audited, and its unit test
 * fails until the attack finds a flaw and stays silent on a correct target.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';

export const ATTACK_ID = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export class ScaffoldError extends Error {}

/** `replay-storm` → `replayStorm`, the export name. */
export function exportName(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function attackSource(id: string): string {
  return `/**
 * ${id}: TODO say which promise this attack checks (the IK items of reference/idempotency-standards.md)
 * and how: what it sends, what a correct target answers, what counts as a broken promise.
 *
 * Scaffolded by \`npm run new-attack\`. Until run() is written it sends nothing and marks itself
 * inconclusive ("not implemented"): an audit reports it as not audited, never as passed. Its unit
 * test (${id}.test.ts) fails until the attack finds its flaw and stays silent on a correct target.
 * Checklist: ARCHITECTURE.md, "Add an attack".
 */
import { z } from 'zod';
import { defineAttack } from './types.js';

const options = z.strictObject({
  // TODO: the attack's options, each with a default and bounds, e.g.
  // rounds: z.number().int().min(1).max(50).default(3),
});

export const ${exportName(id)} = defineAttack({
  meta: {
    id: '${id}',
    title: 'TODO: what it does, in a few words',
    description: 'TODO: what it sends, and what a correct target does with it.',
    sends: 'TODO: what it sends, in one line (the README table)',
    finds: '\`todo-finding\` (high)',
    options,
    // Whether a clean run can miss the flaw because it depends on timing (races, in-flight requests).
    // If so, keep the sends whose timing matters inside ctx.exclusive (bursts and faulted sends take
    // it by themselves), so other endpoints' lanes cannot disturb them.
    timingDependent: false,
    findings: {
      // TODO: every kind the attack can report, with its severity, remediation and IK references.
      'todo-finding': {
        severity: 'high',
        title: 'TODO: the broken promise, as a statement',
        remediation: 'TODO: what to change in the target, one or two sentences.',
        references: [],
      },
    },
  },
  run(ctx) {
    // TODO: build requests with ctx.request({ label, key: ctx.newKey() }), send them (ctx.send,
    // ctx.burst, ctx.sendWithFault), count writes with countWrites(ctx, key) from _shared/effects.ts,
    // and ctx.report() a finding only from answered requests; ctx.inconclusive() when nothing could be judged.
    ctx.inconclusive('not implemented: src/attacks/${id}.ts has no run logic yet');
    return Promise.resolve();
  },
});
`;
}

function testSource(id: string): string {
  const name = exportName(id);
  return `import { describe, expect, it } from 'vitest';
import { ${name} } from './${id}.js';
import { modelTarget, runFake, type FakeTarget } from '../testing/index.js';

/*
 * Scaffolded by \`npm run new-attack\`: these tests FAIL until ${id} is written. Replace the flawed
 * target below with one that has the flaw this attack looks for (a modelTarget policy, or a
 * FakeTarget function answering each request), keep the correct one, and add the edge cases:
 * the baseline refused (inconclusive), a transport failure (never a finding), skips.
 */
describe('${id}', () => {
  it('finds the flaw on a target that has it', async () => {
    // TODO: a target with the flaw, e.g. modelTarget({ honourKeys: false }) ignores the key.
    const flawed: FakeTarget = modelTarget({ honourKeys: false });
    const r = await runFake(${name}, { target: flawed });
    expect(r.kinds()).toEqual(['todo-finding']);
  });

  it('stays silent on a correct target', async () => {
    const r = await runFake(${name}, { target: modelTarget() });
    expect(r.findings).toEqual([]);
    expect(r.outcome).toEqual({ kind: 'ran' });
  });
});
`;
}

function docsSource(id: string): string {
  return `# ${id}

TODO: what it checks, in one sentence. Opt-in: not in the default suite until it is added to
\`DEFAULT_SUITE\` in src/attacks/index.ts.

## What it sends

TODO: the requests, in order, with the options that shape them.

## Which promise it checks

TODO: the promise and its IK items (reference/idempotency-standards.md).

## Findings (with an example)

- \`todo-finding\` (high): TODO.

## False positives

TODO: when a correct target could look flawed, and how the attack avoids reporting it
(inconclusive, a skip, a control request on a fresh key).

## Options

| option | default | meaning |
| ------ | ------- | ------- |
`;
}

/** The registry with `id` added to the imports and to `attacks`, both kept sorted by id. */
export function withRegistryEntry(index: string, id: string): string {
  const lines = index.split('\n');
  const importOf = (l: string): string | undefined => /^import \{ \w+ \} from '\.\/([a-z0-9-]+)\.js';$/.exec(l)?.[1];
  // Prettier leaves a one-word id unquoted (`  eviction: eviction,`).
  const entryOf = (l: string): string | undefined => /^ {2}'?([a-z0-9-]+)'?: \w+,$/.exec(l)?.[1];
  const insertSorted = (of: (l: string) => string | undefined, line: string): void => {
    const at = lines.findIndex((l) => of(l) !== undefined);
    if (at < 0) throw new ScaffoldError('src/attacks/index.ts: cannot find where the registry lists attacks');
    let i = at;
    while (i < lines.length && of(lines[i] ?? '') !== undefined && (of(lines[i] ?? '') ?? '') < id) i++;
    lines.splice(i, 0, line);
  };
  insertSorted(importOf, `import { ${exportName(id)} } from './${id}.js';`);
  insertSorted(entryOf, `  '${id}': ${exportName(id)},`);
  return lines.join('\n');
}

async function formatted(root: string, file: string, text: string): Promise<string> {
  const path = join(root, file);
  const config = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...config, filepath: path });
}

/** Writes the four files under `root` and returns their paths relative to it. Touches nothing on error. */
export async function scaffoldAttack(root: string, id: string): Promise<string[]> {
  if (!ATTACK_ID.test(id))
    throw new ScaffoldError(`'${id}' is not an attack id: lower-case words joined by dashes, e.g. replay-storm`);
  const created: [string, string][] = [
    [`src/attacks/${id}.ts`, attackSource(id)],
    [`src/attacks/${id}.test.ts`, testSource(id)],
    [`docs/attacks/${id}.md`, docsSource(id)],
  ];
  for (const [file] of created)
    if (existsSync(join(root, file))) throw new ScaffoldError(`${file} exists already: nothing was written`);
  const indexFile = 'src/attacks/index.ts';
  const index = readFileSync(join(root, indexFile), 'utf8');
  if (index.includes(`'${id}':`))
    throw new ScaffoldError(`${indexFile} registers '${id}' already: nothing was written`);
  const outputs: [string, string][] = [];
  for (const [file, text] of [...created, [indexFile, withRegistryEntry(index, id)] as [string, string]])
    outputs.push([file, await formatted(root, file, text)]);
  for (const [file, text] of outputs) writeFileSync(join(root, file), text);
  return outputs.map(([file]) => file);
}
