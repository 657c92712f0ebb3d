import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { jsonPathProblem } from './json-path.js';

const DOC = { id: 'p1', a: [{ b: 1 }, { b: 2 }, { b: 3 }], 'a b': 5, 'x.y': 7, data: { id: 'd1' }, rows: [1, 2] };

describe('jsonPathProblem', () => {
  it('accepts the subset jsonpath-plus evaluates as written, and each selects what it says', () => {
    const cases: [string, unknown[]][] = [
      ['$', [DOC]],
      ['$.id', ['p1']],
      ['$.data.id', ['d1']],
      ['$.rows.length', [2]],
      ['$.a[0]', [{ b: 1 }]],
      ['$.a[0,2]', [{ b: 1 }, { b: 3 }]],
      ['$.a[1:]', [{ b: 2 }, { b: 3 }]],
      ['$.a[-1:]', [{ b: 3 }]],
      ['$.a[::2]', [{ b: 1 }, { b: 3 }]],
      ['$.a[*].b', [1, 2, 3]],
      ["$['a b']", [5]],
      ['$["x.y"]', [7]],
      ['$..id', ['p1', 'd1']],
    ];
    for (const [path, expected] of cases) {
      expect(jsonPathProblem(path), path).toBeUndefined();
      expect(JSONPath({ path, json: DOC, wrap: true, eval: false }), path).toEqual(expected);
    }
  });

  it('refuses what jsonpath-plus would silently misread or refuse to evaluate, saying why', () => {
    const cases: [string, string][] = [
      ['id', 'starts with $'],
      ['$[?(@.x == "', 'filter and script expressions'],
      ['$[?(@.x == 1)]', 'filter and script expressions'],
      ['$[(@.length-1)]', 'filter and script expressions'],
      ['$.data[0', 'never closed'],
      ['$.a]', "unexpected ']'"],
      ['$.', "'.' at position 1 must be followed by a name"],
      ['$..', "'..' at position 1 must be followed"],
      ['$$', "unexpected '$'"],
      ['$.a[-1]', 'negative index [-1] is not supported; use a slice: [-1:]'],
      ["$['a','b']", "only indices can be listed with ','"],
      ['$.a[ 0 ]', '[ 0 ] is not an index, a slice, * or a quoted name'],
      ["$['unterminated]", 'is not an index, a slice'],
      ['$.a^', "unexpected '^'"],
    ];
    for (const [path, message] of cases) expect(jsonPathProblem(path), path).toContain(message);
  });
});
