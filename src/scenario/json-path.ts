/**
 * JSONPath expressions in scenario options (`responseId: $.id`, `count: $.rows.length`, ignored
 * fields): the subset idem-audit evaluates, checked when the scenario is loaded.
 *
 * jsonpath-plus, which evaluates them, is lenient to a fault: `$.data[0`, `$['a','b']` or
 * `$.items[-1]` parse without complaint and then match nothing, so an observer would count 0 and a
 * duplicate write would pass. Filter and script expressions (`?(...)`, `(...)`) are never evaluated
 * (that would run code from the scenario), so they are refused here rather than at run time.
 */
import { z } from 'zod';

const NAME = /^[\p{L}\p{N}_-]+/u;
const INDEX = /^\d+$/;
const SLICE = /^(-?\d+)?:(-?\d+)?(:(-?\d+)?)?$/;
const QUOTED = /^('[^'",\\]*'|"[^'",\\]*")$/;

/** Why `path` is not a JSONPath idem-audit can evaluate, or undefined when it is fine. */
export function jsonPathProblem(path: string): string | undefined {
  if (!path.startsWith('$')) return 'a JSON path starts with $, e.g. $.id';
  let i = 1;
  while (i < path.length) {
    const rest = path.slice(i);
    if (rest.startsWith('..')) {
      i += 2;
      const after = path.slice(i);
      if (after.startsWith('*')) i += 1;
      else if (after.startsWith('[')) continue;
      else {
        const name = NAME.exec(after);
        if (!name) return `'..' at position ${i - 2} must be followed by a name, * or [...]`;
        i += name[0].length;
      }
    } else if (rest.startsWith('.')) {
      i += 1;
      const after = path.slice(i);
      if (after.startsWith('*')) i += 1;
      else {
        const name = NAME.exec(after);
        if (!name)
          return `'.' at position ${i - 1} must be followed by a name (letters, digits, '_', '-') or *; quote other names: ['a name']`;
        i += name[0].length;
      }
    } else if (rest.startsWith('[')) {
      if (rest[1] === '?' || rest[1] === '(')
        return `filter and script expressions (${rest.slice(0, 20)}) are not supported: they would run code from the scenario`;
      const end = rest.indexOf(']');
      if (end < 0) return `'[' at position ${i} is never closed`;
      const problem = selectorProblem(rest.slice(1, end));
      if (problem) return problem;
      i += end + 1;
    } else {
      return `unexpected '${rest.charAt(0)}' at position ${i}`;
    }
  }
  return undefined;
}

function selectorProblem(inner: string): string | undefined {
  if (inner === '*' || INDEX.test(inner) || SLICE.test(inner) || QUOTED.test(inner)) return undefined;
  if (/^\d+(,\d+)+$/.test(inner)) return undefined;
  if (/^-\d+$/.test(inner)) return `negative index [${inner}] is not supported; use a slice: [${inner}:]`;
  if (inner.includes(',')) return `[${inner}]: only indices can be listed with ',' (one quoted name per [...])`;
  return `[${inner}] is not an index, a slice, * or a quoted name such as ['id']`;
}

/** A JSONPath option, checked when the scenario is loaded. */
export function jsonPathField(example: string) {
  return z.string().superRefine((path, ctx) => {
    const problem = jsonPathProblem(path);
    if (problem !== undefined)
      ctx.addIssue({
        code: 'custom',
        message: `invalid JSON path '${path}': ${problem}`,
        params: { hint: `e.g. ${example}` },
      });
  });
}
