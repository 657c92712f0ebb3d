/**
 * The demo's stateful API, the shapes real payment APIs have:
 *
 * - Stripe-like, form-encoded (`application/x-www-form-urlencoded`, bracket notation), keyed by
 *   the Idempotency-Key header, where each step needs the one before: `POST /v1/customers`,
 *   `POST /v1/charges` (for a customer), `POST /v1/charges/{charge}/refunds`.
 * - Square-like JSON whose key travels in the body (`idempotency_key`): `POST /v2/payments`,
 *   `POST /v2/payments/{payment_id}/complete`.
 *
 * Every write goes through the demo's one idempotency layer (idempotency.ts) with the variant's
 * policy and store. Resources live in the variant's ledger (one row per side effect, with the
 * resource as created), so nodes that share a ledger share customers and charges as they share
 * keys; state that changes (a charge's refunded amount, a payment's completion) is derived from
 * the rows, never updated in place. Two policy decisions are the routes' to apply: where a key is
 * read from (`keySource`) and what a refund's record is scoped by (`refundScope`).
 */
import { handleIdempotent, type LayerContext, type LayerRequest } from './idempotency.js';
import type { Ledger, LedgerRow } from './ledger.js';
import { nextId, parseJson, type Operation, type Validation } from './payments.js';
import { apiError, json } from './responses.js';
import type { StoredResponse } from './store.js';

/** The request as the server read it; the key is taken from where each route documents it. */
export interface StatefulRequest {
  readonly method: string;
  /** Path inside the variant plus query, e.g. `/v1/charges/ch_1/refunds`. */
  readonly target: string;
  readonly principal: string;
  /** The Idempotency-Key header, if sent. */
  readonly headerKey: string | undefined;
  readonly raw: Buffer;
  readonly processingMs: number | undefined;
  readonly clientGone?: AbortSignal;
}

/** Whether a variant's path belongs to this API (`/v1/…`, `/v2/…`). */
export function isStatefulPath(segment: string | undefined): boolean {
  return segment === 'v1' || segment === 'v2';
}

/** Longest Square idempotency key. */
export const BODY_KEY_MAX_LENGTH = 45;
const MAX_FORM_FIELDS = 200;
const MAX_FORM_DEPTH = 5;

export async function handleStateful(layer: LayerContext, req: StatefulRequest): Promise<StoredResponse> {
  const pathname = req.target.split('?', 1)[0] ?? '/';
  const [version, collection, id, action, ...rest] = pathname.split('/').slice(1);
  if (rest.length > 0) return apiError(404, 'not_found', `no route for ${pathname}`);
  if (req.method !== 'POST') return apiError(405, 'method_not_allowed', 'allowed: POST', { allow: 'POST' });
  const keyed: LayerRequest = {
    method: req.method,
    target: req.target,
    principal: req.principal,
    key: req.headerKey,
    raw: req.raw,
    processingMs: req.processingMs,
    fail: false,
    ...(req.clientGone ? { clientGone: req.clientGone } : {}),
  };
  if (version === 'v1') {
    if (collection === 'customers' && id === undefined) return handleIdempotent(layer, createCustomer, keyed);
    if (collection === 'charges' && id === undefined) return handleIdempotent(layer, createCharge, keyed);
    if (collection === 'charges' && id !== undefined && action === 'refunds') {
      // The flaw's scope: the route of the record changes with the charge, so a retry after the
      // refund looks for its key under a route nobody used yet.
      const route =
        layer.policy.refundScope === 'charge-version'
          ? `${REFUND_ROUTE}@${(await refundedAmount(layer.ledger, id)).toString()}`
          : REFUND_ROUTE;
      return handleIdempotent(layer, refundOperation(decode(id), route), keyed);
    }
  }
  if (version === 'v2' && collection === 'payments') {
    const body = parseJson(req.raw);
    const field = body.ok && isRecord(body.value) ? body.value['idempotency_key'] : undefined;
    if (field !== undefined && typeof field !== 'string')
      return apiError(400, 'invalid_request', 'idempotency_key must be a string');
    // Square requires the key in the body; the flawed layer looks for the header instead and,
    // finding none, runs the request unprotected.
    const headerOnly = layer.policy.keySource === 'header';
    const v2: LayerContext = headerOnly ? { ...layer, policy: { ...layer.policy, keyRequired: false } } : layer;
    const v2req: LayerRequest = { ...keyed, key: headerOnly ? req.headerKey : field };
    if (id === undefined) return handleIdempotent(v2, createSquarePayment, v2req);
    if (action === 'complete') return handleIdempotent(v2, completeOperation(decode(id)), v2req);
  }
  return apiError(404, 'not_found', `no route for ${pathname}`);
}

const REFUND_ROUTE = 'POST /v1/charges/:charge/refunds';

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * application/x-www-form-urlencoded with Stripe's bracket notation (`metadata[order]=o-1` →
 * `{ metadata: { order: 'o-1' } }`), so the fingerprint compares what the form means, not how its
 * bytes were written (field order, `+` or `%20`, escape case). Values stay strings.
 */
export function parseForm(raw: Buffer): Validation<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let fields = 0;
  for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
    if (++fields > MAX_FORM_FIELDS) return { ok: false, detail: `at most ${MAX_FORM_FIELDS} form fields` };
    const path = /^([^[\]]+)((\[[^[\]]*\])*)$/.exec(name);
    if (!path?.[1]) return { ok: false, detail: `malformed form field name '${name}'` };
    const parts = [path[1], ...[...(path[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] ?? '')];
    if (parts.length > MAX_FORM_DEPTH) return { ok: false, detail: `form field '${name}' is nested too deep` };
    if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype'))
      return { ok: false, detail: `form field name '${name}' is not accepted` };
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (next !== undefined && !isRecord(next))
        return { ok: false, detail: `form field '${name}' conflicts with another` };
      node = next ?? (node[part] = {});
    }
    const last = parts[parts.length - 1] ?? '';
    if (isRecord(node[last])) return { ok: false, detail: `form field '${name}' conflicts with another` };
    node[last] = value;
  }
  return { ok: true, value: out };
}

function positiveInt(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function metadataOf(body: Record<string, unknown>): Validation<Record<string, string>> {
  const m = body['metadata'];
  if (m === undefined) return { ok: true, value: {} };
  if (!isRecord(m) || !Object.values(m).every((v) => typeof v === 'string'))
    return { ok: false, detail: 'metadata must be a map of strings (metadata[name]=value)' };
  return { ok: true, value: m as Record<string, string> };
}

/** The row that created resource `id` for this principal (resources are private to their caller). */
async function ownRow(ledger: Ledger, id: string, principal: string): Promise<LedgerRow | undefined> {
  const rows = await ledger.rows();
  return rows.find((r) => r.id === id && r.principal === principal);
}

async function rowsOf(ledger: Ledger, kind: LedgerRow['kind'], about: string, field: string): Promise<LedgerRow[]> {
  const out: LedgerRow[] = [];
  for (const row of await ledger.rows()) {
    if (row.kind !== kind) continue;
    const resource = await ledger.resource(row.id);
    if (resource !== undefined && (resource as Record<string, unknown>)[field] === about) out.push(row);
  }
  return out;
}

async function refundedAmount(ledger: Ledger, charge: string): Promise<number> {
  return (await rowsOf(ledger, 'refund', decode(charge), 'charge')).reduce((sum, r) => sum + r.amount, 0);
}

const stripeError = (status: number, code: string, message: string): StoredResponse =>
  json(status, { error: { type: 'invalid_request_error', code, message } });

interface CustomerInput {
  readonly email: string;
  readonly name: string | undefined;
}

const createCustomer: Operation<CustomerInput> = {
  route: 'POST /v1/customers',
  kind: 'customer',
  parse: parseForm,
  validate(body) {
    if (!isRecord(body)) return { ok: false, detail: 'expected a form' };
    const { email, name } = body;
    if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(email))
      return { ok: false, detail: 'email must be an email address' };
    if (name !== undefined && typeof name !== 'string') return { ok: false, detail: 'name must be a string' };
    return { ok: true, value: { email, name } };
  },
  async execute(input, ctx) {
    const id = nextId('customer');
    const customer = { id, object: 'customer', email: input.email, name: input.name ?? null };
    await ctx.ledger.record({
      kind: 'customer',
      id,
      key: ctx.key,
      principal: ctx.principal,
      amount: 0,
      resource: customer,
    });
    return json(200, customer);
  },
};

interface ChargeInput {
  readonly amount: number;
  readonly currency: string;
  readonly customer: string;
  readonly metadata: Record<string, string>;
}

const createCharge: Operation<ChargeInput> = {
  route: 'POST /v1/charges',
  kind: 'charge',
  parse: parseForm,
  validate(body) {
    if (!isRecord(body)) return { ok: false, detail: 'expected a form' };
    const amount = positiveInt(body['amount']);
    if (amount === undefined) return { ok: false, detail: 'amount must be a positive integer' };
    const { currency, customer } = body;
    if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency))
      return { ok: false, detail: 'currency must be three lowercase letters' };
    if (typeof customer !== 'string' || customer === '') return { ok: false, detail: 'customer is required' };
    const metadata = metadataOf(body);
    if (!metadata.ok) return metadata;
    return { ok: true, value: { amount, currency, customer, metadata: metadata.value } };
  },
  async execute(input, ctx) {
    // Whether the customer exists is state, checked under the key's reservation like the effect.
    const owner = await ownRow(ctx.ledger, input.customer, ctx.principal);
    if (owner?.kind !== 'customer')
      return stripeError(400, 'resource_missing', `No such customer: '${input.customer}'`);
    const id = nextId('charge');
    const charge = {
      id,
      object: 'charge',
      amount: input.amount,
      currency: input.currency,
      customer: input.customer,
      metadata: input.metadata,
      status: 'succeeded',
    };
    await ctx.ledger.record({
      kind: 'charge',
      id,
      key: ctx.key,
      principal: ctx.principal,
      amount: input.amount,
      resource: charge,
    });
    return json(200, { ...charge, amount_refunded: 0, refunded: false });
  },
};

interface RefundInput {
  readonly amount: number | undefined;
  readonly metadata: Record<string, string>;
}

function refundOperation(charge: string, route: string): Operation<RefundInput> {
  return {
    route,
    kind: 'refund',
    parse: parseForm,
    validate(body) {
      if (!isRecord(body)) return { ok: false, detail: 'expected a form' };
      const amount = body['amount'] === undefined ? undefined : positiveInt(body['amount']);
      if (body['amount'] !== undefined && amount === undefined)
        return { ok: false, detail: 'amount must be a positive integer' };
      const metadata = metadataOf(body);
      if (!metadata.ok) return metadata;
      return { ok: true, value: { amount, metadata: metadata.value } };
    },
    async execute(input, ctx) {
      const row = await ownRow(ctx.ledger, charge, ctx.principal);
      if (row?.kind !== 'charge') return stripeError(404, 'resource_missing', `No such charge: '${charge}'`);
      const remaining = row.amount - (await refundedAmount(ctx.ledger, charge));
      const amount = input.amount ?? remaining;
      if (remaining <= 0)
        return stripeError(400, 'charge_already_refunded', `Charge ${charge} has already been refunded.`);
      if (amount > remaining)
        return stripeError(
          400,
          'amount_too_large',
          `Refund amount (${amount}) is greater than unrefunded amount (${remaining}).`,
        );
      const id = nextId('refund');
      const refund = { id, object: 'refund', charge, amount, metadata: input.metadata, status: 'succeeded' };
      await ctx.ledger.record({ kind: 'refund', id, key: ctx.key, principal: ctx.principal, amount, resource: refund });
      return json(200, refund);
    },
  };
}

interface SquarePaymentInput {
  readonly key: string;
  readonly sourceId: string;
  readonly amount: number;
  readonly currency: string;
}

function squareKey(body: Record<string, unknown>): Validation<string> {
  const key = body['idempotency_key'];
  if (typeof key !== 'string' || key.length === 0 || key.length > BODY_KEY_MAX_LENGTH)
    return { ok: false, detail: `idempotency_key must be 1-${BODY_KEY_MAX_LENGTH} characters` };
  return { ok: true, value: key };
}

const squareError = (status: number, code: string, detail: string): StoredResponse =>
  json(status, { errors: [{ category: 'INVALID_REQUEST_ERROR', code, detail }] });

const createSquarePayment: Operation<SquarePaymentInput> = {
  route: 'POST /v2/payments',
  kind: 'payment',
  validate(body) {
    if (!isRecord(body)) return { ok: false, detail: 'body must be a JSON object' };
    const key = squareKey(body);
    if (!key.ok) return key;
    const { source_id: sourceId, amount_money: money } = body;
    if (typeof sourceId !== 'string' || sourceId === '') return { ok: false, detail: 'source_id is required' };
    if (!isRecord(money)) return { ok: false, detail: 'amount_money is required' };
    const { amount, currency } = money;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0)
      return { ok: false, detail: 'amount_money.amount must be a positive integer' };
    if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency))
      return { ok: false, detail: 'amount_money.currency must be three capital letters' };
    return { ok: true, value: { key: key.value, sourceId, amount, currency } };
  },
  async execute(input, ctx) {
    const id = nextId('payment');
    const payment = {
      id,
      status: 'APPROVED',
      source_id: input.sourceId,
      amount_money: { amount: input.amount, currency: input.currency },
    };
    // The ledger keeps the key as the client sent it, wherever the layer looked for one.
    await ctx.ledger.record({
      kind: 'payment',
      id,
      key: input.key,
      principal: ctx.principal,
      amount: input.amount,
      resource: payment,
    });
    return json(200, { payment });
  },
};

function completeOperation(paymentId: string): Operation<{ key: string }> {
  return {
    route: 'POST /v2/payments/:payment_id/complete',
    kind: 'completion',
    validate(body) {
      if (!isRecord(body)) return { ok: false, detail: 'body must be a JSON object' };
      const key = squareKey(body);
      return key.ok ? { ok: true, value: { key: key.value } } : key;
    },
    async execute(input, ctx) {
      const row = await ownRow(ctx.ledger, paymentId, ctx.principal);
      const created = row?.kind === 'payment' ? await ctx.ledger.resource(paymentId) : undefined;
      if (created === undefined) return squareError(404, 'NOT_FOUND', `payment ${paymentId} not found`);
      if ((await rowsOf(ctx.ledger, 'completion', paymentId, 'payment')).length > 0)
        return squareError(400, 'BAD_REQUEST', `payment ${paymentId} is already COMPLETED`);
      const id = nextId('completion');
      await ctx.ledger.record({
        kind: 'completion',
        id,
        key: input.key,
        principal: ctx.principal,
        amount: row?.amount ?? 0,
        resource: { id, payment: paymentId },
      });
      return json(200, { payment: { ...created, status: 'COMPLETED' } });
    },
  };
}
