/**
 * The questions `init` asks on a terminal. `ask` is injected so the flow is testable without a
 * TTY; the CLI passes readline's question().
 */
import { UsageError } from '../errors/errors.js';
import type { JsonValue } from '../scenario/types.js';
import { STARTER_DEFAULTS } from './starter.js';

export type Ask = (question: string) => Promise<string>;

export interface StarterAnswers {
  baseUrl: string;
  method: string;
  path: string;
  body: JsonValue | undefined;
}

export async function askStarter(ask: Ask, given: Partial<StarterAnswers>): Promise<StarterAnswers> {
  const q = async (label: string, fallback: string): Promise<string> => {
    const a = (await ask(`${label} [${fallback}]: `)).trim();
    return a === '' ? fallback : a;
  };
  const baseUrl = given.baseUrl ?? (await q('Base URL of the API', STARTER_DEFAULTS.baseUrl));
  const method = given.method ?? (await q('Method of the operation to audit', STARTER_DEFAULTS.method)).toUpperCase();
  const path = given.path ?? (await q('Path of the operation', STARTER_DEFAULTS.path));
  const body = given.body ?? parseBody(await q('JSON body (empty for none)', '{}'));
  return { baseUrl, method, path, body };
}

export function parseBody(text: string): JsonValue | undefined {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new UsageError(`init: the body is not valid JSON: ${text}`, `e.g. --body '{"amount":1000,"currency":"usd"}'`);
  }
}

/**
 * The base URL lands in `${API_URL:-<url>}` in the YAML: whitespace, braces, quotes or `#` would
 * end the default or the scalar early and silently audit another URL, so they are refused.
 */
export function checkBaseUrl(url: string): string {
  if (!/^https?:\/\/[^/\s]+/.test(url))
    throw new UsageError(`init: base URL must start with http:// or https://, got '${url}'`);
  // eslint-disable-next-line no-control-regex
  if (/[\s{}#?"'\\\u0000-\u001f\u007f]/.test(url) || !URL.canParse(url))
    throw new UsageError(
      `init: base URL must be a plain http(s) URL without spaces, quotes, braces, query or fragment, got '${url}'`,
      'e.g. --base-url https://api.example.com/v1',
    );
  return url.replace(/\/+$/, '');
}

/** An HTTP method token, upper-cased; anything else would break the generated YAML. */
export function checkMethod(method: string): string {
  const m = method.trim().toUpperCase();
  if (!/^[A-Z]+$/.test(m)) throw new UsageError(`init: method must be a word such as POST or PATCH, got '${method}'`);
  return m;
}

export function checkPath(path: string): string {
  if (!path.startsWith('/')) throw new UsageError(`init: path must start with '/', got '${path}'`);
  return path;
}
