/**
 * A PayPal-like orders API on 127.0.0.1, the server behind test/fixtures/openapi/paypal-like.yaml:
 * JSON orders keyed by the PayPal-Request-Id header (optional to create an order, required to
 * capture one), through the demo's correct idempotency layer. Orders belong to their caller and
 * are captured once.
 */
import { CORRECT_POLICY, handleIdempotent, type LayerContext } from '../../src/demo/idempotency.js';
import { MemoryLedger } from '../../src/demo/ledger.js';
import { nextId, type Operation } from '../../src/demo/payments.js';
import { apiError, json } from '../../src/demo/responses.js';
import { MemoryKeyStore } from '../../src/demo/store.js';
import { httpServer, type TestServer } from './servers.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const paypalError = (status: number, name: string, issue: string) => json(status, { name, details: [{ issue }] });

interface OrderInput {
  intent: string;
  units: unknown[];
  total: number;
}

const createOrder: Operation<OrderInput> = {
  route: 'POST /v2/checkout/orders',
  kind: 'payment',
  validate(body) {
    if (!isRecord(body)) return { ok: false, detail: 'body must be a JSON object' };
    const { intent, purchase_units: units } = body;
    if (intent !== 'CAPTURE' && intent !== 'AUTHORIZE')
      return { ok: false, detail: 'intent must be CAPTURE or AUTHORIZE' };
    if (!Array.isArray(units) || units.length === 0) return { ok: false, detail: 'purchase_units is required' };
    let total = 0;
    for (const unit of units) {
      const amount = isRecord(unit) ? unit['amount'] : undefined;
      if (
        !isRecord(amount) ||
        typeof amount['currency_code'] !== 'string' ||
        !/^[A-Z]{3}$/.test(amount['currency_code'])
      )
        return { ok: false, detail: 'purchase_units[].amount.currency_code must be three capital letters' };
      if (typeof amount['value'] !== 'string' || !/^\d+(\.\d{1,2})?$/.test(amount['value']))
        return { ok: false, detail: 'purchase_units[].amount.value must be a decimal string' };
      total += Math.round(Number(amount['value']) * 100);
    }
    return { ok: true, value: { intent, units, total } };
  },
  async execute(input, ctx) {
    const id = nextId('payment').replace('pay_', 'ORDER-');
    const order = { id, status: 'CREATED', intent: input.intent, purchase_units: input.units };
    await ctx.ledger.record({
      kind: 'payment',
      id,
      key: ctx.key,
      principal: ctx.principal,
      amount: input.total,
      resource: order,
    });
    return json(201, order);
  },
};

function captureOrder(orderId: string): Operation<Record<string, unknown>> {
  return {
    route: 'POST /v2/checkout/orders/:id/capture',
    kind: 'completion',
    validate(body) {
      return isRecord(body) ? { ok: true, value: body } : { ok: false, detail: 'body must be a JSON object' };
    },
    async execute(_input, ctx) {
      const rows = await ctx.ledger.rows();
      const order = rows.find((r) => r.kind === 'payment' && r.id === orderId && r.principal === ctx.principal);
      if (order === undefined) return paypalError(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID');
      if (rows.some((r) => r.kind === 'completion' && r.id === `CAPTURE-${orderId}`))
        return paypalError(422, 'UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED');
      await ctx.ledger.record({
        kind: 'completion',
        id: `CAPTURE-${orderId}`,
        key: ctx.key,
        principal: ctx.principal,
        amount: order.amount,
        resource: { order: orderId },
      });
      return json(201, { id: orderId, status: 'COMPLETED' });
    },
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface PaypalLikeServer extends TestServer {
  /** Side effects recorded under each PayPal-Request-Id: orders created and captures. */
  effects(key: string): Promise<number>;
}

export async function paypalLike(): Promise<PaypalLikeServer> {
  const store = new MemoryKeyStore();
  const ledger = new MemoryLedger();
  const layer: LayerContext = {
    policy: CORRECT_POLICY,
    store,
    ledger,
    prefix: '',
    ttlMs: 6 * 3_600_000,
    processingMs: 10,
  };
  // Creating an order takes no key at all if the caller sends none (the key is optional there).
  const optionalKey: LayerContext = { ...layer, policy: { ...CORRECT_POLICY, keyRequired: false } };
  const server = await httpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const path = url.split('?', 1)[0] ?? '/';
      const key = req.headers['paypal-request-id'];
      const request = {
        method: req.method ?? 'GET',
        target: url,
        principal: req.headers.authorization ?? 'anonymous',
        key: typeof key === 'string' ? key : undefined,
        raw: Buffer.concat(chunks),
        processingMs: undefined,
        fail: false,
      };
      const capture = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(path);
      const answer =
        req.method !== 'POST'
          ? Promise.resolve(apiError(405, 'method_not_allowed'))
          : path === '/v2/checkout/orders'
            ? handleIdempotent(optionalKey, createOrder, request)
            : capture?.[1] !== undefined
              ? handleIdempotent(layer, captureOrder(safeDecode(capture[1])), request)
              : Promise.resolve(apiError(404, 'not_found'));
      answer.then(
        (r) => res.writeHead(r.status, r.headers).end(r.body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  return {
    ...server,
    effects: async (key) => (await ledger.rows(key)).length,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}
