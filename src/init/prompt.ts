/**
 * The questions `init` asks on a terminal. The prompter is injected so the flow is testable
 * without a TTY; the CLI passes one built on readline. Each answer is checked as soon as it is
 * given, and a bad one is asked again with the reason, a bounded number of times.
 */
import { UsageError } from '../errors/errors.js';
import type { JsonValue } from '../scenario/types.js';
import { STARTER_DEFAULTS } from './starter.js';

export interface Prompter {
  /** Asks and resolves with the answer; rejects with InterruptedError when the user cancels (Ctrl-C, Ctrl-D). */
  ask(question: string): Promise<string>;
  /** Shows a line to the user (why an answer was refused). */
  tell(line: string): void;
}

export interface StarterAnswers {
  baseUrl: string;
  method: string;
  path: string;
  body: JsonValue | undefined;
}

/** Bad answers to one question before init gives up with the last reason (exit 2). */
export const MAX_ATTEMPTS = 5;

/** Asks what `given` (the flags, already checked) leaves open. */
export async function askStarter(prompter: Prompter, given: Partial<StarterAnswers>): Promise<StarterAnswers> {
  const q = async <T>(label: string, fallback: string, check: (answer: string) => T): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      const answer = (await prompter.ask(`${label} [${fallback}]: `)).trim();
      try {
        return check(answer === '' ? fallback : answer);
      } catch (err) {
        if (!(err instanceof UsageError) || attempt >= MAX_ATTEMPTS) throw err;
        prompter.tell(`  ${err.message.replace(/^init: /, '')}${err.hint ? ` (${err.hint})` : ''}; try again`);
      }
    }
  };
  const baseUrl = given.baseUrl ?? (await q('Base URL of the API', STARTER_DEFAULTS.baseUrl, checkBaseUrl));
  const method = given.method ?? (await q('Method of the operation to audit', STARTER_DEFAULTS.method, checkMethod));
  const path = given.path ?? (await q('Path of the operation', STARTER_DEFAULTS.path, checkPath));
  const body = 'body' in given ? given.body : await q('JSON body (empty for none)', '{}', parseBody);
  return { baseUrl, method, path, body };
}

export function parseBody(text: string): JsonValue | undefined {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new UsageError(`init: the body is not valid JSON: ${text}`, `e.g. {"amount":1000,"currency":"usd"}`);
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
      'e.g. https://api.example.com/v1',
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
