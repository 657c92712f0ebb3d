/** Small fetch wrappers for the demo's tests: every call returns status, headers and both body forms. */
import { randomUUID } from 'node:crypto';
import type { LedgerRow } from '../ledger.js';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body (the demo always answers JSON). */
  readonly body: Record<string, unknown>;
}

export interface SendOptions {
  /** undefined: no Idempotency-Key header. */
  readonly key?: string | undefined;
  readonly principal?: string;
  readonly headers?: Record<string, string>;
  /** Headers appended after the others, to send a field twice. */
  readonly extraHeaders?: readonly (readonly [string, string])[];
  readonly signal?: AbortSignal;
}

export const PAYMENT = Object.freeze({ amount: 1000, currency: 'usd', customer: 'cus_42' });

export function newKey(label = 'k'): string {
  return `${label}-${randomUUID()}`;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Record<string, unknown> };
}

/** POST a JSON value, or a string sent verbatim (to control bytes: key order, whitespace, broken JSON). */
export async function post(base: string, path: string, body: unknown, opts: SendOptions = {}): Promise<Reply> {
  const headers = new Headers({ 'content-type': 'application/json', ...opts.headers });
  if (opts.key !== undefined) headers.set('idempotency-key', opts.key);
  if (opts.principal !== undefined) headers.set('authorization', `Bearer ${opts.principal}`);
  for (const [name, value] of opts.extraHeaders ?? []) headers.append(name, value);
  const init: RequestInit = {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
  if (opts.signal) init.signal = opts.signal;
  return reply(await fetch(`${base}${path}`, init));
}

export async function get(base: string, path: string, init: RequestInit = {}): Promise<Reply> {
  return reply(await fetch(`${base}${path}`, init));
}

export interface LedgerView {
  readonly key: string | null;
  readonly count: number;
  readonly rows: LedgerRow[];
}

export async function ledger(base: string, variant: string, key?: string): Promise<LedgerView> {
  const query = key === undefined ? '' : `?key=${encodeURIComponent(key)}`;
  const { body } = await get(base, `/${variant}/ledger${query}`);
  return body as unknown as LedgerView;
}

export async function rowsFor(base: string, variant: string, key: string): Promise<number> {
  return (await ledger(base, variant, key)).count;
}

/** Fire `copies` identical requests at once (separate connections via undici's pool). */
export function burst(base: string, path: string, body: unknown, copies: number, opts: SendOptions): Promise<Reply[]> {
  return Promise.all(Array.from({ length: copies }, () => post(base, path, body, opts)));
}

/** POST an application/x-www-form-urlencoded body (the stateful API's v1 routes). */
export function postForm(base: string, path: string, form: string, opts: SendOptions = {}): Promise<Reply> {
  return post(base, path, form, {
    ...opts,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
  });
}

/** A customer of the stateful API under `prefix`, created with a key of its own; returns its id. */
export async function newCustomer(base: string, prefix: string, opts: SendOptions = {}): Promise<string> {
  const res = await postForm(base, `${prefix}/v1/customers`, 'email=audit%40example.test', {
    key: newKey('cus'),
    ...opts,
  });
  if (res.status !== 200 || typeof res.body['id'] !== 'string')
    throw new Error(`customer not created: ${res.status} ${res.text}`);
  return res.body['id'];
}

/** A charge of `amount` for a new customer; returns its id. */
export async function newCharge(base: string, prefix: string, amount: number, opts: SendOptions = {}): Promise<string> {
  const customer = await newCustomer(base, prefix, opts);
  const res = await postForm(base, `${prefix}/v1/charges`, `amount=${amount}&currency=usd&customer=${customer}`, {
    key: newKey('ch'),
    ...opts,
  });
  if (res.status !== 200 || typeof res.body['id'] !== 'string')
    throw new Error(`charge not created: ${res.status} ${res.text}`);
  return res.body['id'];
}
