/**
 * Turns zod issues into plain-language problems: one per unknown key, unions reduced to the
 * branch the user evidently meant, and a did-you-mean wherever there is a list to pick from.
 */
import { z } from 'zod';
import type { Anchor, PathSegment } from './locate.js';
import type { ExtensionSchemas } from './schema.js';
import { didYouMean } from './suggest.js';

export interface Problem {
  path: PathSegment[];
  message: string;
  hint?: string | undefined;
  anchor: Anchor;
}

type Issue = z.core.$ZodIssue;

/** What our error map says for a union with no message of its own; anything else was set by the schema. */
const UNION_DEFAULT = 'no alternative matches';

/** Parse-level error map: schema-level `error` options still win over it. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'missing required field';
      return `expected ${expectedText(iss.expected)}, got ${describe(iss.input)}`;
    case 'invalid_value':
      return iss.values.length === 1
        ? `expected ${quote(iss.values[0])}, got ${describe(iss.input)}`
        : `${describe(iss.input)} is not one of ${iss.values.map(quote).join(', ')}`;
    case 'too_small':
      return bound(iss.origin, iss.minimum, iss.inclusive ?? true, 'small');
    case 'too_big':
      return bound(iss.origin, iss.maximum, iss.inclusive ?? true, 'big');
    case 'invalid_format':
      return iss.format === 'starts_with' && 'prefix' in iss
        ? `must start with ${quote(iss.prefix)}`
        : `invalid ${iss.format}: ${describe(iss.input)}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(iss.divisor)}`;
    case 'invalid_union':
      return UNION_DEFAULT;
    default:
      return undefined;
  }
};

function bound(origin: string, limit: number | bigint, inclusive: boolean, side: 'small' | 'big'): string {
  const n = String(limit);
  if (origin === 'array')
    return side === 'small' ? `must have at least ${n} item(s)` : `must have at most ${n} item(s)`;
  if (origin === 'string') {
    if (side === 'small') return n === '1' ? 'cannot be empty' : `must be at least ${n} characters`;
    return `must be at most ${n} characters`;
  }
  if (side === 'small') return inclusive ? `must be at least ${n}` : `must be greater than ${n}`;
  return inclusive ? `must be at most ${n}` : `must be less than ${n}`;
}

function expectedText(expected: string): string {
  switch (expected) {
    case 'object':
    case 'record':
    case 'map':
      return 'a mapping';
    case 'array':
    case 'tuple':
      return 'a list';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'string':
    case 'number':
      return `a ${expected}`;
    default:
      return expected;
  }
}

export function quote(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}...` : v}'`;
  return JSON.stringify(v) ?? String(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${quote(v)}`;
  return quote(v);
}

export function explainIssues(issues: readonly Issue[], schema: z.ZodType, ext: ExtensionSchemas): Problem[] {
  return issues.flatMap((issue) => explain(issue, schema, ext));
}

function segments(path: readonly PropertyKey[]): PathSegment[] {
  return path.filter((p): p is PathSegment => typeof p === 'string' || typeof p === 'number');
}

function explain(issue: Issue, schema: z.ZodType, ext: ExtensionSchemas): Problem[] {
  const path = segments(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKey(path, key, schema, ext));
    case 'invalid_key':
      return [{ path, message: issue.issues[0]?.message ?? issue.message, anchor: 'key' }];
    case 'invalid_union':
      return explainUnion(issue, path, schema, ext);
    case 'invalid_type':
      if (issue.input === undefined && path.length > 0) {
        return [{ path, message: `missing required field '${String(path.at(-1))}'`, anchor: 'parent' }];
      }
      return [{ path, message: issue.message, anchor: 'value' }];
    case 'invalid_value': {
      const options = issue.values.filter((v): v is string => typeof v === 'string');
      const hint = typeof issue.input === 'string' ? didYouMean(issue.input, options) : undefined;
      return [{ path, message: issue.message, hint, anchor: 'value' }];
    }
    case 'custom': {
      const params: Record<string, unknown> = issue.params ?? {};
      const hint = typeof params['hint'] === 'string' ? params['hint'] : undefined;
      const anchor = params['anchor'] === 'key' ? 'key' : 'value';
      return [{ path, message: issue.message, hint, anchor }];
    }
    default:
      return [{ path, message: issue.message, anchor: 'value' }];
  }
}

function unknownKey(path: PathSegment[], key: string, schema: z.ZodType, ext: ExtensionSchemas): Problem {
  const at = [...path, key];
  const [root, , field, index] = path;
  let what = 'key';
  let candidates: string[];
  if (root === 'endpoints' && field === 'attacks' && path.length === 3) {
    what = 'attack';
    candidates = Object.keys(ext.attacks);
  } else if (root === 'endpoints' && field === 'observe' && typeof index === 'number' && path.length === 4) {
    what = 'observer';
    candidates = Object.keys(ext.observers);
  } else {
    candidates = keysAt(schema, path);
  }
  const hint =
    didYouMean(key, candidates) ??
    (candidates.length > 0 && candidates.length <= 15 ? `known ${what}s: ${candidates.join(', ')}` : undefined);
  return { path: at, message: `unknown ${what} '${key}'`, hint, anchor: 'key' };
}

/**
 * A union fails as a whole; report the branch whose failure is about the content rather than
 * the type (a list of status codes with one bad entry), or a single "expected A or B".
 */
function explainUnion(
  issue: Extract<Issue, { code: 'invalid_union' }>,
  path: PathSegment[],
  schema: z.ZodType,
  ext: ExtensionSchemas,
): Problem[] {
  const wrongType = (branch: readonly Issue[]): boolean =>
    branch.length === 1 &&
    branch[0] !== undefined &&
    branch[0].path.length === 0 &&
    (branch[0].code === 'invalid_type' || branch[0].code === 'invalid_value');
  const relevant = issue.errors.filter((b) => !wrongType(b));
  if (relevant.length > 0) {
    const best = relevant.reduce((a, b) => (b.length < a.length ? b : a));
    return explainIssues(
      best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
      schema,
      ext,
    );
  }
  if (issue.message !== UNION_DEFAULT) return [{ path, message: issue.message, anchor: 'value' }];

  const alternatives: string[] = [];
  const values: string[] = [];
  for (const [first] of issue.errors) {
    if (first?.code === 'invalid_type') alternatives.push(expectedText(first.expected));
    if (first?.code === 'invalid_value') {
      alternatives.push(first.values.map(quote).join(' or '));
      values.push(...first.values.filter((v): v is string => typeof v === 'string'));
    }
  }
  const hint = typeof issue.input === 'string' ? didYouMean(issue.input, values) : undefined;
  return [
    { path, message: `expected ${alternatives.join(' or ')}, got ${describe(issue.input)}`, hint, anchor: 'value' },
  ];
}

/** Keys the schema allows at `path`, for did-you-mean on unknown keys. */
export function keysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const seg of path) {
    current = current ? child(unwrap(current), seg) : undefined;
  }
  const object = current ? unwrap(current) : undefined;
  return object instanceof z.ZodObject ? Object.keys(object.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let depth = 0; depth < 20; depth++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDefault) s = s.removeDefault() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = (s.in instanceof z.ZodTransform ? s.out : s.in) as z.ZodType;
    else break;
  }
  return s;
}

function child(schema: z.ZodType, seg: PathSegment): z.ZodType | undefined {
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    return typeof seg === 'string' && Object.prototype.hasOwnProperty.call(shape, seg) ? shape[seg] : undefined;
  }
  if (schema instanceof z.ZodRecord) return schema.valueType as z.ZodType;
  if (schema instanceof z.ZodArray) return schema.element as z.ZodType;
  if (schema instanceof z.ZodUnion) {
    for (const option of schema.options as readonly z.ZodType[]) {
      const found = child(unwrap(option), seg);
      if (found) return found;
    }
  }
  return undefined;
}
