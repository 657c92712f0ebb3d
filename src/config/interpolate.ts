/**
 * Environment interpolation on the YAML node tree, before validation, so that an issue about
 * an interpolated value still points at the line it was written on.
 *
 * Syntax, in any string scalar (map keys are never interpolated):
 *   ${VAR}            value of VAR; an issue if VAR is unset
 *   ${VAR:-default}   VAR if set and non-empty, else `default` (may be empty; cannot contain `}`)
 *   $${               a literal `${`
 * A lone `$` is left alone, so JSONPath (`$.id`) and SQL placeholders (`$1`) need no escaping.
 *
 * Typing: when an unquoted scalar is exactly one `${...}`, the result is re-read as a YAML
 * scalar, so `maxRequests: ${MAX}` with MAX=5000 is the number 5000 and `${X:-}` is null.
 * Quoted scalars always stay strings (`"${PORT}"`), just as `"5000"` would, and so do header
 * values and observer connection strings.
 *
 * Secrets: every value taken from the environment (not a default) is one, except in the places
 * `isConfigPath` names.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { ScenarioIssue } from '../errors/errors.js';
import type { EnvHeader, HeaderScope } from '../scenario/types.js';
import { keyText, type Locator, type PathSegment } from './locate.js';

export interface InterpolationResult {
  value: string;
  /** Variables referenced without a default and not set. */
  missing: string[];
  /** Values substituted from the environment, in order (defaults are written in the file, not secrets). */
  fromEnvironment: string[];
  /** Set when the text has an unterminated or malformed `${`. */
  malformed: string | undefined;
  /** The whole text was exactly one `${...}` expression. */
  whole: boolean;
}

const EXPRESSION = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/;

export function interpolateString(text: string, env: NodeJS.ProcessEnv): InterpolationResult {
  const missing: string[] = [];
  const fromEnvironment: string[] = [];
  let malformed: string | undefined;
  let out = '';
  let expressions = 0;
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (text.startsWith('${', i)) {
      const m = EXPRESSION.exec(text.slice(i));
      if (!m) {
        malformed ??= text.slice(i, i + 40);
        out += '${';
        i += 2;
        continue;
      }
      const [all, name = '', fallback] = m;
      const set = env[name];
      let value: string;
      if (set !== undefined && !(fallback !== undefined && set === '')) {
        value = set;
        fromEnvironment.push(set);
      } else if (fallback !== undefined) value = fallback;
      else {
        missing.push(name);
        value = '';
      }
      out += value;
      expressions++;
      i += all.length;
      if (expressions === 1 && all.length === text.length) {
        return { value: out, missing, fromEnvironment, malformed, whole: true };
      }
      continue;
    }
    out += text[i];
    i++;
  }
  return { value: out, missing, fromEnvironment, malformed, whole: false };
}

/**
 * Where an interpolated value is not a secret: where the audit is pointed and how it is tuned.
 * The target's address must be printed (reports say what was audited), and limits, contract
 * statuses, seeds and attack tuning are read by people to understand a run. Everything else that
 * came from the environment (paths, queries, bodies, headers, observer options) is request data or
 * a credential, and is redacted wherever it ends up.
 */
function isConfigPath(path: readonly PathSegment[]): boolean {
  const [a, b, c, d] = path;
  if (a === 'name' || a === 'version' || a === '$schema' || a === 'contract' || a === 'settings') return true;
  if (a === 'target')
    return (
      b === 'baseUrl' || b === 'nodes' || b === 'allowHosts' || b === 'environment' || b === 'timeout' || b === 'http2'
    );
  if (a !== 'endpoints') return false;
  if (c === 'key' || c === 'vary' || c === 'contract') return true;
  if (c === 'request') return d === 'method';
  // Attack tuning, except headers an attack adds to its requests.
  return c === 'attacks' && !path.slice(3).some((seg) => typeof seg === 'string' && /headers$/i.test(seg));
}

/** Where interpolated values are secrets that reports must never show. */
export function isSecretPath(path: readonly PathSegment[]): boolean {
  return !isConfigPath(path);
}

/**
 * Where a value is text whatever it looks like: header values and connection strings. An
 * all-digit API key retyped to a number would be refused, and the refusal would print the key.
 */
function staysText(path: readonly PathSegment[]): boolean {
  if (path.length >= 2 && path.at(-2) === 'headers') return true;
  // A hook argument is a word on a command line, whatever it looks like (a PID, a port).
  if (path[0] === 'hooks' && (path[2] === 'run' || path[2] === 'shell')) return true;
  const [a, , c, d, e] = path;
  return a === 'endpoints' && c === 'observe' && typeof d === 'number' && e !== undefined && path.at(-1) === 'url';
}

/** The header map a path is in, for the maps requests are built from; undefined elsewhere. */
function headerScope(path: readonly PathSegment[]): HeaderScope | undefined {
  const [a, b, c, d] = path;
  if (a === 'target' && b === 'headers' && path.length === 3) return { kind: 'target' };
  if (a === 'target' && b === 'principals' && d === 'headers' && path.length === 5)
    return { kind: 'principal', name: String(c) };
  if (a === 'endpoints' && c === 'request' && d === 'headers' && path.length === 5)
    return { kind: 'endpoint', name: String(b) };
  return undefined;
}

/**
 * `${NAME}` or `<scheme> ${NAME}` (a default allowed but never kept: it may be a secret), with
 * NAME taken from the environment. Anything else (literal text around it, several variables, a
 * value that came from the default) is not a value a reader can rebuild from one variable.
 */
const ONE_VARIABLE = /^((?:[A-Za-z][\w-]* )?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/;

function envHeader(text: string, path: readonly PathSegment[], env: NodeJS.ProcessEnv): EnvHeader | undefined {
  const scope = headerScope(path);
  const m = ONE_VARIABLE.exec(text);
  if (!scope || !m) return undefined;
  const [, prefix = '', variable = ''] = m;
  // Unset or empty: the default (or nothing) was sent, which no variable of the reader's holds.
  const set = env[variable];
  if (set === undefined || set === '') return undefined;
  return { scope, header: String(path.at(-1)), variable, prefix };
}

/**
 * Rewrites string scalars in place. Aliases are not followed: the anchored node is
 * interpolated once where it is defined, and its path there decides whether it is secret.
 */
export function interpolateDocument(
  doc: Document.Parsed,
  env: NodeJS.ProcessEnv,
  locator: Locator,
): { issues: ScenarioIssue[]; secretValues: string[]; envHeaders: EnvHeader[] } {
  const issues: ScenarioIssue[] = [];
  const secrets = new Set<string>();
  const envHeaders: EnvHeader[] = [];

  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isAlias(node)) return;
    if (isMap(node)) {
      for (const pair of node.items) visit(pair.value, [...path, keyText(pair.key) ?? '?']);
      return;
    }
    if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
      return;
    }
    if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${')) return;
    const result = interpolateString(node.value, env);
    for (const name of new Set(result.missing)) {
      issues.push(
        locator.issueAtNode(
          node,
          path,
          `environment variable ${name} is not set`,
          `export ${name}, or give a default: \${${name}:-value}`,
        ),
      );
    }
    if (result.malformed !== undefined) {
      issues.push(
        locator.issueAtNode(
          node,
          path,
          `malformed variable reference '${result.malformed}'`,
          'use ${NAME} or ${NAME:-default}; write $${ for a literal ${',
        ),
      );
    }
    if (isSecretPath(path)) for (const v of result.fromEnvironment) if (v !== '') secrets.add(v);
    const fromEnv = envHeader(node.value, path, env);
    if (fromEnv) envHeaders.push(fromEnv);
    node.value = result.whole && node.type === 'PLAIN' && !staysText(path) ? retype(result.value) : result.value;
  };

  visit(doc.contents, []);
  return { issues, secretValues: [...secrets], envHeaders };
}

/** Reads a substituted value the way YAML would read it unquoted, but only as a scalar. */
function retype(value: string): string | number | boolean | null {
  if (value.trim() === '') return null;
  const doc = parseDocument(value, { version: '1.2', schema: 'core' });
  // Anything that is not a lone plain scalar (`a: b`, `[1]`, invalid YAML) stays text.
  if (doc.errors.length > 0 || !isScalar(doc.contents) || doc.contents.type !== 'PLAIN') return value;
  const parsed: unknown = doc.contents.value;
  return parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean' ? parsed : value;
}
