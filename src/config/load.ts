/**
 * Scenario file -> ResolvedScenario. The one contract with callers: either a fully resolved
 * scenario comes back, or a ScenarioError listing every problem found, each with a position.
 * Nothing else is ever thrown, whatever bytes are in the file.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { isMap, isSeq, visit, type Document } from 'yaml';
import { z } from 'zod';
import { ScenarioError, type ScenarioIssue } from '../errors/errors.js';
import type { ResolvedScenario } from '../scenario/types.js';
import { interpolateDocument } from './interpolate.js';
import { formatPath, Locator } from './locate.js';
import { errorMap, explainIssues } from './messages.js';
import { MAX_SCENARIO_BYTES, readYaml } from './read-yaml.js';
import { checkReferences } from './references.js';
import { resolveScenario } from './resolve.js';
import { buildScenarioSchema, type ExtensionSchemas } from './schema.js';
import { checkSteps, variableScope } from './variables.js';

export type { ExtensionSchemas } from './schema.js';

/** Enough for any sane scenario; a "billion laughs" document trips it long before memory does. */
const MAX_ALIAS_COUNT = 100;

export async function loadScenario(
  file: string,
  ext: ExtensionSchemas,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedScenario> {
  const abs = resolvePath(file);
  let bytes: Buffer;
  try {
    const info = await stat(abs);
    if (!info.isFile()) throw notFound(abs, 'is not a regular file');
    // Checked before reading so a huge file is never pulled into memory.
    if (info.size > MAX_SCENARIO_BYTES) throw tooLarge(abs, info.size);
    bytes = await readFile(abs);
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    throw notFound(abs, code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(e)})`);
  }
  if (bytes.length > MAX_SCENARIO_BYTES) throw tooLarge(abs, bytes.length);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScenarioError([
      { file: abs, line: 0, col: 0, path: '', message: 'file is not UTF-8 text', hint: 'is this the right file?' },
    ]);
  }
  return loadScenarioText(text, abs, ext, env);
}

/** `file` is only used in messages and in the result; pass an absolute path. */
export function loadScenarioText(
  text: string,
  file: string,
  ext: ExtensionSchemas,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedScenario {
  try {
    return load(text, file, ext, env);
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    // A bug here must still surface as a scenario problem, never as a stack trace from deep inside.
    const message = e instanceof Error ? e.message : String(e);
    throw new ScenarioError([
      { file, line: 0, col: 0, path: '', message: `internal error while loading the scenario: ${message}` },
    ]);
  }
}

/** JSON Schema (draft 2020-12) of the scenario format, as written by users (defaults optional). */
export function scenarioJsonSchema(ext: ExtensionSchemas): Record<string, unknown> {
  const nullable = new WeakSet<z.core.$ZodType>();
  const schema = buildScenarioSchema(ext, nullable);
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (!nullable.has(zodSchema)) return;
      const inner: Record<string, unknown> = { ...jsonSchema };
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      Object.assign(jsonSchema, { anyOf: [inner, { type: 'null' }] });
    },
  });
  return { ...json, title: 'idem-audit scenario', description: 'Scenario file format, version 1' };
}

function load(text: string, file: string, ext: ExtensionSchemas, env: NodeJS.ProcessEnv): ResolvedScenario {
  const read = readYaml(text, file);
  if (!read.ok) throw new ScenarioError(read.issues);
  const { doc, lineCounter } = read.value;
  const locator = new Locator(file, doc, lineCounter);

  if (!isMap(doc.contents)) {
    const kind = isSeq(doc.contents) ? 'a list' : 'a single value';
    throw new ScenarioError([
      locator.issueAtNode(
        doc.contents ?? undefined,
        [],
        `a scenario must be a mapping of fields, not ${kind}`,
        'start with `version: 1`, `name:`, `target:` and `endpoints:`',
      ),
    ]);
  }

  const interpolation = interpolateDocument(doc, env, locator);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new ScenarioError([
      ...interpolation.issues,
      locator.issueAtNode(
        firstAlias(doc),
        [],
        `the document cannot be expanded: ${message}`,
        `use fewer YAML aliases (*name); at most ${MAX_ALIAS_COUNT} expansions are allowed`,
      ),
    ]);
  }

  const schema = buildScenarioSchema(ext);
  const parsed = schema.safeParse(raw, { reportInput: true, error: errorMap });
  if (!parsed.success) {
    // A missing variable already has its issue; the empty string left in its place would only
    // add a second, confusing one at the same spot.
    const interpolated = new Set(interpolation.issues.map((i) => i.path));
    const problems = explainIssues(parsed.error.issues, schema, ext).filter(
      (p) => !interpolated.has(formatPath(p.path)),
    );
    const issues = [
      ...interpolation.issues,
      ...problems.map((p) => locator.issue(p.path, p.message, p.hint, p.anchor)),
    ];
    throw new ScenarioError(sortIssues(issues));
  }
  if (interpolation.issues.length > 0) throw new ScenarioError(sortIssues(interpolation.issues));

  // Templates, setup steps and names of other endpoints or principals can only be judged against
  // the whole scenario: which captures a template sees depends on where it is.
  const steps = checkSteps(parsed.data);
  const references = [
    ...steps,
    ...(steps.length > 0
      ? []
      : checkReferences(schema, parsed.data, {
          endpoints: Object.keys(parsed.data.endpoints),
          principals: Object.keys(parsed.data.target.principals ?? {}),
          ...variableScope(parsed.data),
        })),
  ];
  if (references.length > 0)
    throw new ScenarioError(sortIssues(references.map((p) => locator.issue(p.path, p.message, p.hint, p.anchor))));

  const late: ScenarioIssue[] = [];
  const scenario = resolveScenario(parsed.data, raw, file, interpolation.secretValues, ext, (path, message, hint) =>
    late.push(locator.issue(path, message, hint)),
  );
  if (late.length > 0) throw new ScenarioError(late);
  return {
    ...scenario,
    // Reports point at each endpoint's declaration (SARIF locations).
    endpoints: scenario.endpoints.map((e) => ({
      ...e,
      position: locator.position(locator.nodeFor(['endpoints', e.name], 'key')),
    })),
    ...(interpolation.envHeaders.length > 0 ? { envHeaders: interpolation.envHeaders } : {}),
  };
}

function firstAlias(doc: Document.Parsed) {
  let found: Parameters<Locator['issueAtNode']>[0];
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function sortIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.col - b.col);
}

function notFound(file: string, reason: string): ScenarioError {
  return new ScenarioError(
    [{ file, line: 0, col: 0, path: '', message: `scenario file ${reason}`, hint: 'check the path you passed' }],
    'IDEM_SCENARIO_NOT_FOUND',
  );
}

function tooLarge(file: string, size: number): ScenarioError {
  return new ScenarioError([
    {
      file,
      line: 0,
      col: 0,
      path: '',
      message: `file is ${size} bytes; scenario files are limited to 1 MiB`,
      hint: 'is this the right file?',
    },
  ]);
}
