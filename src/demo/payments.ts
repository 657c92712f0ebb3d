/**
 * The business side of the demo: request validation and the side effects (payments, refunds).
 * Validation is separate from execution so the idempotency layer can reject a bad request before
 * it touches the key store (IK-14).
 */
import type { DownstreamCaller } from './downstream.js';
import type { EffectKind, Ledger } from './ledger.js';
import { json } from './responses.js';
import type { StoredResponse } from './store.js';

export type Validation<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly detail: string };

export interface ExecutionContext {
  /** The Idempotency-Key as sent, or null without one; recorded in the ledger. */
  readonly key: string | null;
  readonly principal: string;
  /** URL prefix, used to build Location headers. */
  readonly prefix: string;
  readonly ledger: Ledger;
  /** The provider an operation calls for its side effect, when the demo is given one. */
  readonly downstream?: DownstreamCaller;
}

/** One state-changing endpoint guarded by the idempotency layer. */
export interface Operation<T> {
  /** Method and route path, e.g. `POST /payments`; the unit the correct layer scopes keys by. */
  readonly route: string;
  readonly kind: EffectKind;
  /** The body's format; default JSON (the stateful API's forms bring their own). */
  readonly parse?: (raw: Buffer) => Validation<unknown>;
  validate(body: unknown): Validation<T>;
  execute(input: T, ctx: ExecutionContext): Promise<StoredResponse>;
}

export interface PaymentInput {
  readonly amount: number;
  readonly currency: string;
  readonly customer: string;
}

export interface RefundInput {
  readonly payment: string;
  readonly amount: number;
}

/**
 * Process-wide counters, so ids stay unique even when several server instances (the cross-node
 * scenario) run in one process: two executions must never look like one by their id.
 */
// Orders draw random ids (orders.ts): they must stay unique across the restarts of a crash audit.
type CountedKind = Exclude<EffectKind, 'order'>;
const counters: Record<CountedKind, number> = { payment: 0, refund: 0, customer: 0, charge: 0, completion: 0 };
const ID_PREFIX: Readonly<Record<CountedKind, string>> = {
  payment: 'pay',
  refund: 're',
  customer: 'cus',
  charge: 'ch',
  completion: 'cpl',
};

export function nextId(kind: CountedKind): string {
  counters[kind] += 1;
  return `${ID_PREFIX[kind]}_${counters[kind]}`;
}

export function parseJson(raw: Buffer): Validation<unknown> {
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, detail: `body is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export const createPayment: Operation<PaymentInput> = {
  route: 'POST /payments',
  kind: 'payment',
  validate(body) {
    if (!isRecord(body)) return { ok: false, detail: 'body must be a JSON object' };
    const { amount, currency, customer } = body;
    if (!isPositiveInteger(amount)) return { ok: false, detail: 'amount must be a positive integer' };
    if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency)) {
      return { ok: false, detail: 'currency must be three lowercase letters' };
    }
    if (typeof customer !== 'string' || customer === '') {
      return { ok: false, detail: 'customer must be a non-empty string' };
    }
    return { ok: true, value: { amount, currency, customer } };
  },
  async execute(input, ctx) {
    const id = nextId('payment');
    const payment = {
      id,
      amount: input.amount,
      currency: input.currency,
      customer: input.customer,
      status: 'succeeded',
      created: new Date().toISOString(),
    };
    await ctx.ledger.record({
      kind: 'payment',
      id,
      key: ctx.key,
      principal: ctx.principal,
      amount: input.amount,
      resource: payment,
    });
    return json(201, payment, { location: `${ctx.prefix}/payments/${id}` });
  },
};

export const createRefund: Operation<RefundInput> = {
  route: 'POST /refunds',
  kind: 'refund',
  validate(body) {
    if (!isRecord(body)) return { ok: false, detail: 'body must be a JSON object' };
    const { payment, amount } = body;
    if (typeof payment !== 'string' || payment === '') {
      return { ok: false, detail: 'payment must be a non-empty string' };
    }
    if (!isPositiveInteger(amount)) return { ok: false, detail: 'amount must be a positive integer' };
    return { ok: true, value: { payment, amount } };
  },
  async execute(input, ctx) {
    const id = nextId('refund');
    const refund = { id, payment: input.payment, amount: input.amount, status: 'succeeded' };
    await ctx.ledger.record({
      kind: 'refund',
      id,
      key: ctx.key,
      principal: ctx.principal,
      amount: input.amount,
      resource: refund,
    });
    return json(201, refund);
  },
};
