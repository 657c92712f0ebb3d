/**
 * `POST /<variant>/orders`: the partial-success shape. The order is written first, then the
 * provider (the sink, in audits) is asked to capture the payment, then the client gets its answer.
 * A process that dies while the provider is working leaves the order behind unless the write
 * commits together with the stored response (a transactional store); a retry after a restart then
 * shows whether the key survived. Ids are random, not counted: they must stay unique across restarts.
 */
import { randomBytes } from 'node:crypto';
import type { Operation, PaymentInput } from './payments.js';
import { createPayment } from './payments.js';
import { json } from './responses.js';

/** Long enough for a crash hook to land while the target waits on the provider. */
const CAPTURE_TIMEOUT_MS = 10_000;

export const createOrder: Operation<PaymentInput> = {
  route: 'POST /orders',
  kind: 'order',
  validate: (body) => createPayment.validate(body),
  async execute(input, ctx) {
    const id = `ord_${randomBytes(6).toString('hex')}`;
    const order = { id, ...input, status: 'pending', created: new Date().toISOString() };
    await ctx.ledger.record({
      kind: 'order',
      id,
      key: ctx.key,
      principal: ctx.principal,
      amount: input.amount,
      resource: order,
    });
    const capture =
      ctx.downstream && ctx.key !== null
        ? await ctx.downstream.charge(ctx.key, input, { timeoutMs: CAPTURE_TIMEOUT_MS })
        : undefined;
    return json(
      201,
      { ...order, status: 'paid', ...(capture === undefined ? {} : { provider: capture }) },
      {
        location: `${ctx.prefix}/orders/${id}`,
      },
    );
  },
};
