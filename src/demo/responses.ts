import type { StoredResponse } from './store.js';

/** Every demo response is JSON; building them in one place keeps the wire format uniform. */
export function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): StoredResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function apiError(
  status: number,
  error: string,
  detail?: string,
  headers?: Record<string, string>,
): StoredResponse {
  return json(status, detail === undefined ? { error } : { error, detail }, headers);
}
