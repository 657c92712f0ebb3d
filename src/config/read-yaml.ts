/**
 * Text -> YAML document, with every syntax problem as a positioned issue. The document (not
 * plain JS) is what the rest of the loader works on, because only the node tree remembers
 * where each value came from.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { ScenarioIssue } from '../errors/errors.js';

export const MAX_SCENARIO_BYTES = 1024 * 1024;

export interface ParsedYaml {
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export type ReadYamlResult = { ok: true; value: ParsedYaml } | { ok: false; issues: ScenarioIssue[] };

// YAML forbids C0 controls other than tab/newline/CR, and DEL; finding one almost always means
// someone pointed us at a binary file, which deserves one clear issue rather than a cascade.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

// `{ seed: ${SEED} }`: inside a flow collection `{` and `}` are syntax, so an unquoted variable
// reference breaks the line in ways the parser cannot explain.
const UNQUOTED_IN_FLOW = /[[{][^'"]*(?<!\$)\$\{/;
const FLOW_HINT = 'inside { } or [ ], quote variable references: "${NAME}" (or use block style)';

export function readYaml(text: string, file: string): ReadYamlResult {
  const lineCounter = new LineCounter();
  const issue = (offset: number, message: string, hint?: string): ScenarioIssue => {
    const { line, col } = offset < 0 ? { line: 0, col: 0 } : lineCounter.linePos(offset);
    return { file, line, col, path: '', message, ...(hint === undefined ? {} : { hint }) };
  };

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SCENARIO_BYTES) {
    return {
      ok: false,
      issues: [issue(-1, `file is ${bytes} bytes; scenario files are limited to 1 MiB`, 'is this the right file?')],
    };
  }

  const control = FORBIDDEN_CONTROL.exec(text);
  if (control) {
    // The line counter is only filled while parsing, so count lines by hand here.
    const before = text.slice(0, control.index);
    const line = before.split('\n').length;
    const col = control.index - before.lastIndexOf('\n');
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return {
      ok: false,
      issues: [
        {
          file,
          line,
          col,
          path: '',
          message: `file contains the control character U+${code}; it does not look like a YAML text file`,
        },
      ],
    };
  }

  const doc = parseDocument(text, {
    lineCounter,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: true,
    // Version 1.2 core schema: no `<<` merge keys, no yes/no booleans, no timestamps, so what
    // the user sees is what the validator gets.
    version: '1.2',
    schema: 'core',
  });

  if (doc.errors.length > 0) {
    // After the first error on a line the parser mostly reports its own confusion; one issue per
    // line still names every broken line without burying the real cause.
    const lines = text.split('\n');
    const seen = new Set<number>();
    const issues: ScenarioIssue[] = [];
    for (const e of doc.errors) {
      const found = issue(e.pos[0], firstLine(e.message));
      if (seen.has(found.line)) continue;
      seen.add(found.line);
      const source = lines[found.line - 1] ?? '';
      issues.push(UNQUOTED_IN_FLOW.test(source) ? { ...found, hint: FLOW_HINT } : found);
    }
    return { ok: false, issues: issues.sort((a, b) => a.line - b.line || a.col - b.col) };
  }
  if (doc.contents === null) {
    return { ok: false, issues: [issue(-1, 'scenario file is empty', 'start with `version: 1`')] };
  }
  return { ok: true, value: { doc, lineCounter } };
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}
