/**
 * The demo's downstream provider call (`POST /charges`): the side effect happens at the provider,
 * so the idempotency layer alone cannot make it exactly-once. The correct client forwards the
 * Idempotency-Key so a retry after a lost answer is deduplicated by the provider; the flawed one
 * retries without it and the provider applies the charge twice.
 */
import { request } from 'node:http';
import type { Operation } from './payments.js';
import { json } from './responses.js';

/** Header carrying the client's key to the provider as an order reference, whatever the retry does. */
export const REFERENCE_HEADER = 'x-demo-reference';
const DEFAULT_TIMEOUT_MS = 500;

export interface DownstreamCallerOptions {
  url: string;
  /** false: the retry after a lost answer omits the Idempotency-Key (the downstream-unkeyed-retry flaw). */
  retryWithKey: boolean;
  timeoutMs?: number;
}

/** Thrown when the provider failed or never answered: nothing may be assumed applied by the caller. */
export class DownstreamError extends Error {
  readonly status = 502;
  constructor(message: string) {
    super(message);
    this.name = 'DownstreamError';
  }
}

type Answer = { kind: 'answered'; status: number; body: string } | { kind: 'lost'; reason: string };

export class DownstreamCaller {
  readonly #o: DownstreamCallerOptions;

  constructor(o: DownstreamCallerOptions) {
    this.#o = o;
  }

  /** Charges once; one retry after a lost answer, as real integrations do. Returns the provider's id. */
  async charge(key: string, body: unknown, o: { timeoutMs?: number } = {}): Promise<string> {
    const payload = JSON.stringify(body);
    const timeoutMs = o.timeoutMs ?? this.#o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let answer = await this.#call(payload, { 'idempotency-key': key, [REFERENCE_HEADER]: key }, timeoutMs);
    if (answer.kind === 'lost') {
      const headers: Record<string, string> = { [REFERENCE_HEADER]: key };
      if (this.#o.retryWithKey) headers['idempotency-key'] = key;
      answer = await this.#call(payload, headers, timeoutMs);
    }
    if (answer.kind === 'lost') throw new DownstreamError(`the provider never answered: ${answer.reason}`);
    if (answer.status < 200 || answer.status >= 300)
      throw new DownstreamError(`the provider answered ${answer.status}`);
    try {
      const parsed = JSON.parse(answer.body) as { id?: unknown };
      return typeof parsed.id === 'string' ? parsed.id : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  #call(payload: string, headers: Record<string, string>, timeoutMs: number): Promise<Answer> {
    return new Promise((resolve) => {
      const req = request(
        `${this.#o.url}/charges`,
        {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          // A bounded wait on every provider call: a hanging provider must not hang the demo.
          timeout: timeoutMs,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ kind: 'answered', status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (err) => resolve({ kind: 'lost', reason: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => resolve({ kind: 'lost', reason: err.message }));
      req.end(payload);
    });
  }
}

export interface ChargeInput {
  readonly amount: number;
  readonly currency: string;
  readonly customer: string;
}

let charges = 0;

export const createCharge: Operation<ChargeInput> = {
  route: 'POST /charges',
  kind: 'payment',
  validate(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { ok: false, detail: 'body must be a JSON object' };
    const { amount, currency, customer } = body as Record<string, unknown>;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0)
      return { ok: false, detail: 'amount must be a positive integer' };
    if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency))
      return { ok: false, detail: 'currency must be three lowercase letters' };
    if (typeof customer !== 'string' || customer === '')
      return { ok: false, detail: 'customer must be a non-empty string' };
    return { ok: true, value: { amount, currency, customer } };
  },
  async execute(input, ctx) {
    if (!ctx.downstream) throw new DownstreamError('no downstream provider is configured (--downstream-url)');
    if (ctx.key === null) throw new DownstreamError('a charge needs an idempotency key to forward');
    const providerId = await ctx.downstream.charge(ctx.key, input);
    charges += 1;
    const id = `ch_${charges}`;
    const charge = { id, ...input, provider: providerId, status: 'succeeded', created: new Date().toISOString() };
    await ctx.ledger.record({
      kind: 'payment',
      id,
      key: ctx.key,
      principal: ctx.principal,
      amount: input.amount,
      resource: charge,
    });
    return json(201, charge);
  },
};
