/**
 * Checks that need the whole parsed scenario, run after the schema accepted it: templates against
 * the variables their place renders (plus those the scenario defines), and option fields that name
 * an endpoint or a principal against the scenario's own. Both kinds of field are marked where they
 * are declared (scenario/template.ts, scenario/references.ts), so an attack or observer that adds
 * such a field is checked without touching the loader.
 */
import type { z } from 'zod';
import { referenceFields, type ReferenceKind } from '../scenario/references.js';
import {
  KEY_VARIABLES,
  OBSERVER_VARIABLES,
  REQUEST_VARIABLES,
  strayBraces,
  templateFields,
  templateVariables,
  unknownVariables,
  type TemplateFieldMeta,
} from '../scenario/template.js';
import type { PathSegment } from './locate.js';
import type { Problem } from './messages.js';
import { closest, didYouMean } from './suggest.js';

export interface ReferenceScope {
  endpoints: readonly string[];
  principals: readonly string[];
  /**
   * Template variables the scenario itself defines (captures) or renders (`{{key}}` in a
   * per-operation step) beyond what the field renders everywhere, by the template's path.
   */
  variables(path: readonly PathSegment[]): readonly string[];
  /** More to say about a built-in variable that is not rendered at `path` (config/variables.ts). */
  hint?(path: readonly PathSegment[], name: string): string | undefined;
}

interface MarkedValue {
  path: PathSegment[];
  value: string;
  template: TemplateFieldMeta | undefined;
  reference: ReferenceKind | undefined;
}

/** Deep enough for any scenario; a bound in case a schema is recursive. */
const MAX_DEPTH = 32;

export function checkReferences(schema: z.ZodType, data: unknown, scope: ReferenceScope): Problem[] {
  const marked: MarkedValue[] = [];
  collect(schema, data, [], marked, 0);
  const problems: Problem[] = [];
  for (const m of marked) {
    if (m.template) {
      const hint = (name: string): string | undefined => scope.hint?.(m.path, name);
      problems.push(...templateProblems(m.value, m.template, scope.variables(m.path), m.path, hint));
    }
    if (m.reference) {
      const known = m.reference === 'endpoint' ? scope.endpoints : scope.principals;
      if (known.includes(m.value)) continue;
      const where = m.reference === 'endpoint' ? 'endpoints' : 'target.principals';
      problems.push({
        path: m.path,
        message: `unknown ${m.reference} '${m.value}'`,
        hint:
          didYouMean(m.value, known) ??
          (known.length === 0 ? `the scenario declares no ${where}` : `known: ${known.join(', ')}`),
        anchor: 'value',
      });
    }
  }
  return problems;
}

/** Every string of `data` whose schema is a marked field, with its path. */
function collect(schema: z.ZodType, value: unknown, path: PathSegment[], out: MarkedValue[], depth: number): void {
  if (depth > MAX_DEPTH || value === undefined || value === null) return;
  const template = templateFields.get(schema);
  const reference = referenceFields.get(schema)?.kind;
  if ((template || reference) && typeof value === 'string') {
    out.push({ path, value, template, reference });
    return;
  }
  if (template?.deep === true) {
    collectStrings(value, path, template, out, depth);
    return;
  }
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (key: string): z.ZodType => def[key] as z.ZodType;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return collect(inner('innerType'), value, path, out, depth + 1);
    case 'pipe': {
      // z.preprocess(fn, s) is transform -> s; s.transform(fn) is s -> transform: the schema that
      // describes the parsed value is the one that is not the transform.
      const into = inner('out');
      const side = (into as unknown as { _zod: { def: { type: string } } })._zod.def.type === 'transform';
      return collect(side ? inner('in') : into, value, path, out, depth + 1);
    }
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return;
      const shape = def['shape'] as Record<string, z.ZodType>;
      for (const [k, s] of Object.entries(shape)) {
        if (Object.hasOwn(value, k)) collect(s, (value as Record<string, unknown>)[k], [...path, k], out, depth + 1);
      }
      return;
    }
    case 'record':
      if (typeof value !== 'object' || Array.isArray(value)) return;
      for (const [k, v] of Object.entries(value)) collect(inner('valueType'), v, [...path, k], out, depth + 1);
      return;
    case 'array':
      if (!Array.isArray(value)) return;
      value.forEach((v, i) => collect(inner('element'), v, [...path, i], out, depth + 1));
      return;
    case 'union': {
      // A value matches one option; marks found through several options are the same place.
      const before = out.length;
      for (const option of def['options'] as z.ZodType[]) {
        collect(option, value, path, out, depth + 1);
        if (out.length > before) return;
      }
      return;
    }
    default:
      return;
  }
}

/** Every string inside a structured template (a JSON body, a form): values only, not member names. */
function collectStrings(
  value: unknown,
  path: PathSegment[],
  template: TemplateFieldMeta,
  out: MarkedValue[],
  depth: number,
): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string') out.push({ path, value, template, reference: undefined });
  else if (Array.isArray(value)) value.forEach((v, i) => collectStrings(v, [...path, i], template, out, depth + 1));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) collectStrings(v, [...path, k], template, out, depth + 1);
}

const ALL_VARIABLES: readonly string[] = [...new Set([...REQUEST_VARIABLES, ...KEY_VARIABLES, ...OBSERVER_VARIABLES])];

const braces = (names: readonly string[]): string => names.map((n) => `{{${n}}}`).join(', ');

function templateProblems(
  template: string,
  meta: TemplateFieldMeta,
  defined: readonly string[],
  path: PathSegment[],
  why: (name: string) => string | undefined,
): Problem[] {
  const here = [...meta.variables, ...defined];
  const what = meta.what ?? 'this template';
  const problems: Problem[] = [];
  const problem = (message: string, hint: string | undefined): void => {
    problems.push({ path, message, hint, anchor: 'value' });
  };
  const available = here.length > 0 ? `available here: ${braces(here)}` : 'no variables are rendered here';
  for (const name of new Set(unknownVariables(template, here))) {
    if (ALL_VARIABLES.includes(name)) {
      problem(`{{${name}}} is not rendered in ${what}`, why(name) ?? available);
      continue;
    }
    const near = closest(name, here) ?? closest(name, ALL_VARIABLES);
    problem(
      `unknown template variable {{${name}}} in ${what}; it would be sent literally`,
      near === undefined ? available : `did you mean {{${near}}}?`,
    );
  }
  const stray = strayBraces(template);
  if (stray !== undefined)
    problem(
      `'${stray}' in ${what} is not a complete {{name}} placeholder; it would be sent literally`,
      `write placeholders as {{name}}; ${available}`,
    );
  const required = meta.requireOneOf;
  // A misspelt variable is the likelier cause of a missing one: its own problem says enough.
  if (
    problems.length === 0 &&
    required &&
    required.length > 0 &&
    !templateVariables(template).some((n) => required.includes(n))
  ) {
    problem(
      `${what} '${template}' has no ${braces(required)}, so every operation would reuse the same key`,
      `add a fresh value per operation, e.g. '{{${required[0] ?? 'uuid'}}}' or 'order-{{${required[0] ?? 'uuid'}}}'`,
    );
  }
  return problems;
}
