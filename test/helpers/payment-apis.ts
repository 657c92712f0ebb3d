/**
 * Hand-written loopback targets shaped like the APIs that made idempotency keys famous, each with
 * one switchable flaw, for the end-to-end tests of stateful scenarios (test/stateful.test.ts):
 *
 * - `stripeLike`: form-encoded; customers, charges, refunds of a charge, payment intents; keys in
 *   the Idempotency-Key header. Flaws: the refund's key check races (`refund-race`), the refund's
 *   key is scoped by the charge's refunded amount, so a retry after the first refund executes
 *   again (`refund-scope`), the payment intent's fingerprint leaves out `description`
 *   (`intent-fingerprint`).
 * - `squareLike`: JSON, the key in the body as `idempotency_key`. Flaw: the key check races
 *   (`race`).
 *
 * Every write is counted in a ledger the scenario's http observer reads; setup and teardown calls
 * are counted too, so a test can tell that teardown ran.
 */
import type http from 'node:http';
import { canonicalJson } from '../../src/scenario/canonical-json.js';
import { httpServer, type TestServer } from './servers.js';

export interface ApiServer extends TestServer {
  /** Requests by method and path pattern (`POST /v1/charges/:id/refunds`), in arrival order. */
  readonly calls: string[];
  /** Charges voided, customers deleted: what teardown did. */
  readonly cleaned: string[];
}

type Send = (status: number, body: unknown, headers?: Record<string, string>) => void;

interface Stored {
  fingerprint: string;
  status: number;
  body: unknown;
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sender(res: http.ServerResponse): Send {
  return (status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
}

/** The form's fields, sorted: what a correct fingerprint compares. */
function formFingerprint(form: URLSearchParams, leaveOut: readonly string[] = []): string {
  return JSON.stringify([...form].filter(([k]) => !leaveOut.includes(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** What `POST /v1/login` hands out: a credential no report may show. */
export const SESSION_TOKEN = 'sess-7f3a9c1e5b2d';

export type StripeFlaw = 'none' | 'refund-race' | 'refund-scope' | 'intent-fingerprint';

export async function stripeLike(flaw: StripeFlaw = 'none'): Promise<ApiServer> {
  const calls: string[] = [];
  const cleaned: string[] = [];
  let next = 1;
  const customers = new Set<string>();
  const charges = new Map<string, { amount: number; refunded: number; customer: string; voided: boolean }>();
  /** idempotency records: scope → stored answer (undefined while in flight). */
  const records = new Map<string, Stored | undefined>();
  /** writes per ledger key (`refund:<charge>:<key>`, `intent:<key>`). */
  const ledger = new Map<string, number>();
  const wrote = (k: string): void => {
    ledger.set(k, (ledger.get(k) ?? 0) + 1);
  };

  /** The key protocol around `execute`: replay, conflict, mismatch, or execute and store. */
  async function idempotent(
    scope: string,
    fingerprint: string,
    send: Send,
    execute: () => { status: number; body: unknown },
    racy: boolean,
  ): Promise<void> {
    const had = records.has(scope);
    // The race: the check, then an await before the record is written, so concurrent copies all pass it.
    if (racy) await tick(5);
    if (had) return replayOr(records.get(scope), fingerprint, send);
    records.set(scope, undefined);
    await tick(5);
    const r = execute();
    records.set(scope, { fingerprint, ...r });
    send(r.status, r.body);
  }

  function replayOr(stored: Stored | undefined, fingerprint: string, send: Send): void {
    if (stored === undefined) return send(409, { error: 'in_flight' });
    if (stored.fingerprint !== fingerprint) return send(422, { error: 'key_reused' });
    send(stored.status, stored.body, { 'idempotent-replayed': 'true' });
  }

  const server = await httpServer((req, res) => {
    void (async () => {
      const send = sender(res);
      const url = new URL(req.url ?? '/', 'http://x');
      const body = await readBody(req);
      const form = new URLSearchParams(body);
      const key = req.headers['idempotency-key'];
      const method = req.method ?? 'GET';
      const p = url.pathname;
      let m: RegExpExecArray | null;
      if (method === 'POST' && p === '/v1/login') {
        calls.push('POST /v1/login');
        return send(200, { access_token: SESSION_TOKEN });
      }
      if (method === 'POST' && p === '/v1/customers') {
        calls.push('POST /v1/customers');
        const id = `cus_${next++}`;
        customers.add(id);
        return send(200, { id, email: form.get('email') });
      }
      if (method === 'DELETE' && (m = /^\/v1\/customers\/([^/]+)$/.exec(p))) {
        calls.push('DELETE /v1/customers/:id');
        cleaned.push(`customer ${m[1]}`);
        return send(customers.delete(m[1] ?? '') ? 200 : 404, { deleted: true });
      }
      if (method === 'POST' && p === '/v1/charges') {
        calls.push('POST /v1/charges');
        const customer = form.get('customer') ?? '';
        if (!customers.has(customer)) return send(404, { error: { message: `no such customer: ${customer}` } });
        const id = `ch_${next++}`;
        charges.set(id, { amount: Number(form.get('amount')), refunded: 0, customer, voided: false });
        return send(200, { id, amount: Number(form.get('amount')) }, { location: `/v1/charges/${id}` });
      }
      if (method === 'POST' && (m = /^\/v1\/charges\/([^/]+)\/void$/.exec(p))) {
        calls.push('POST /v1/charges/:id/void');
        const charge = charges.get(m[1] ?? '');
        if (!charge) return send(404, { error: 'no such charge' });
        charge.voided = true;
        cleaned.push(`charge ${m[1]}`);
        return send(200, { voided: true });
      }
      if (method === 'GET' && (m = /^\/v1\/charges\/([^/]+)\/refunds$/.exec(p))) {
        return send(200, { count: ledger.get(`refund:${m[1]}:${url.searchParams.get('key') ?? ''}`) ?? 0 });
      }
      if (method === 'POST' && (m = /^\/v1\/charges\/([^/]+)\/refunds$/.exec(p))) {
        calls.push('POST /v1/charges/:id/refunds');
        const id = m[1] ?? '';
        const charge = charges.get(id);
        if (!charge) return send(404, { error: 'no such charge' });
        if (typeof key !== 'string' || key === '') return send(400, { error: 'idempotency_key_required' });
        const amount = Number(form.get('amount'));
        if (!Number.isInteger(amount) || amount <= 0) return send(400, { error: 'invalid amount' });
        // The scope flaw: the charge's refunded amount is part of the record's scope.
        const scope = flaw === 'refund-scope' ? `${id}:${charge.refunded}:${key}` : `${id}:${key}`;
        return idempotent(
          scope,
          `${url.search} ${formFingerprint(form)}`,
          send,
          () => {
            if (charge.refunded + amount > charge.amount) return { status: 400, body: { error: 'exceeds charge' } };
            charge.refunded += amount;
            wrote(`refund:${id}:${key}`);
            return { status: 200, body: { id: `re_${next++}`, charge: id, amount } };
          },
          flaw === 'refund-race',
        );
      }
      if (method === 'GET' && p === '/v1/payment_intents') {
        return send(200, { count: ledger.get(`intent:${url.searchParams.get('key') ?? ''}`) ?? 0 });
      }
      if (method === 'POST' && p === '/v1/payment_intents') {
        calls.push('POST /v1/payment_intents');
        if (typeof key !== 'string' || key === '') return send(400, { error: 'idempotency_key_required' });
        if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? ''))
          return send(415, { error: 'form expected' });
        const amount = Number(form.get('amount'));
        if (!Number.isInteger(amount) || amount <= 0 || !form.get('currency')) return send(400, { error: 'invalid' });
        const leaveOut = flaw === 'intent-fingerprint' ? ['description'] : [];
        return idempotent(
          `intent:${key}`,
          `${url.search} ${formFingerprint(form, leaveOut)}`,
          send,
          () => {
            wrote(`intent:${key}`);
            return { status: 200, body: { id: `pi_${next++}`, amount, description: form.get('description') } };
          },
          false,
        );
      }
      send(404, { error: 'not found' });
    })();
  });
  return { ...server, calls, cleaned };
}

export async function squareLike(flaw: 'none' | 'race' = 'none'): Promise<ApiServer> {
  const calls: string[] = [];
  let next = 1;
  const records = new Map<string, Stored | undefined>();
  const ledger = new Map<string, number>();
  const server = await httpServer((req, res) => {
    void (async () => {
      const send = sender(res);
      const url = new URL(req.url ?? '/', 'http://x');
      const text = await readBody(req);
      if (req.method === 'GET' && url.pathname === '/v2/payments') {
        return send(200, { count: ledger.get(url.searchParams.get('key') ?? '') ?? 0 });
      }
      if (req.method !== 'POST' || url.pathname !== '/v2/payments') return send(404, { errors: ['not found'] });
      calls.push('POST /v2/payments');
      let body: { idempotency_key?: unknown; amount_money?: { amount?: unknown } };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        return send(400, { errors: [{ code: 'INVALID_JSON' }] });
      }
      const key = body.idempotency_key;
      if (typeof key !== 'string' || key === '') return send(400, { errors: [{ code: 'MISSING_IDEMPOTENCY_KEY' }] });
      if (typeof body.amount_money?.amount !== 'number') return send(400, { errors: [{ code: 'INVALID_VALUE' }] });
      const { idempotency_key: _, ...rest } = body;
      const fingerprint = `${url.search} ${canonicalJson(rest)}`;
      const had = records.has(key);
      if (flaw === 'race') await tick(5);
      if (had) {
        const stored = records.get(key);
        if (stored === undefined) return send(409, { errors: [{ code: 'CONFLICT' }] });
        if (stored.fingerprint !== fingerprint) return send(422, { errors: [{ code: 'IDEMPOTENCY_KEY_REUSED' }] });
        return send(stored.status, stored.body);
      }
      records.set(key, undefined);
      await tick(5);
      ledger.set(key, (ledger.get(key) ?? 0) + 1);
      const answer = { payment: { id: `sq_${next++}`, amount_money: body.amount_money } };
      records.set(key, { fingerprint, status: 200, body: answer });
      send(200, answer);
    })();
  });
  return { ...server, calls, cleaned: [] };
}
