import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, newCharge, newCustomer, newKey, post, postForm, rowsFor } from './__fixtures__/client.js';
import { startDemoCluster } from './cluster.js';
import { startDemoServer, type DemoServer } from './index.js';
import { parseForm } from './stateful-api.js';

let server: DemoServer;
beforeAll(async () => {
  server = await startDemoServer({ flaws: new Set(), processingMs: 0 });
});
afterAll(() => server.close());

const refund = (charge: string, form: string, key: string | undefined, principal?: string) =>
  postForm(server.url, `/correct/v1/charges/${charge}/refunds`, form, {
    key,
    ...(principal === undefined ? {} : { principal }),
  });

describe('the stateful v1 API: customer → charge → refund, form-encoded, keyed by the header', () => {
  it('refunds a charge up to its amount, each refund once per key', async () => {
    const charge = await newCharge(server.url, '/correct', 1000);
    const key = newKey();
    const first = await refund(charge, 'amount=600', key);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: 'refund', charge, amount: 600, status: 'succeeded' });
    const retry = await refund(charge, 'amount=600', key);
    expect([retry.status, retry.headers.get('idempotent-replayed'), retry.text]).toEqual([200, 'true', first.text]);
    expect(await rowsFor(server.url, 'correct', key)).toBe(1);

    const tooMuch = await refund(charge, 'amount=600', newKey());
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body['error']).toMatchObject({ code: 'amount_too_large' });
    // Without an amount, the rest; then nothing is left.
    expect((await refund(charge, '', newKey())).body).toMatchObject({ amount: 400 });
    expect((await refund(charge, 'amount=1', newKey())).body['error']).toMatchObject({
      code: 'charge_already_refunded',
    });
  });

  it("keeps each caller's resources private", async () => {
    const charge = await newCharge(server.url, '/correct', 1000);
    const other = await refund(charge, 'amount=100', newKey(), 'bob');
    expect([other.status, other.body['error']]).toEqual([404, expect.objectContaining({ code: 'resource_missing' })]);
    const customer = await newCustomer(server.url, '/correct');
    const charged = await postForm(server.url, '/correct/v1/charges', `amount=5&currency=usd&customer=${customer}`, {
      key: newKey(),
      principal: 'bob',
    });
    expect(charged.status).toBe(400);
    expect(charged.body['error']).toMatchObject({ code: 'resource_missing' });
  });

  it('compares what a form means: reordered fields, + or %20 and escape case are the same request', async () => {
    const customer = await newCustomer(server.url, '/correct');
    const key = newKey();
    const path = '/correct/v1/charges';
    const first = await postForm(
      server.url,
      path,
      `amount=700&currency=usd&customer=${customer}&metadata[note]=a+b%2Cc`,
      {
        key,
      },
    );
    expect(first.status).toBe(200);
    expect(first.body['metadata']).toEqual({ note: 'a b,c' });
    for (const same of [
      `customer=${customer}&metadata%5Bnote%5D=a%20b%2cc&currency=usd&amount=700`,
      `metadata[note]=a+b%2Cc&amount=700&customer=${customer}&currency=usd`,
    ]) {
      const replay = await postForm(server.url, path, same, { key });
      expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    }
    const changed = await postForm(server.url, path, `amount=700&currency=usd&customer=${customer}&metadata[note]=x`, {
      key,
    });
    expect(changed.status).toBe(422);
    expect(await rowsFor(server.url, 'correct', key)).toBe(1);
  });

  it('refuses a malformed form before it touches the key, so the corrected retry runs', async () => {
    const customer = await newCustomer(server.url, '/correct');
    const key = newKey();
    for (const bad of [
      'amount=abc&currency=usd&customer=x',
      'amount=5&currency=usd&customer=x&a[b]=1&a=2',
      '__proto__[x]=1',
    ]) {
      expect((await postForm(server.url, '/correct/v1/charges', bad, { key })).status).toBe(400);
    }
    const good = await postForm(server.url, '/correct/v1/charges', `amount=5&currency=usd&customer=${customer}`, {
      key,
    });
    expect([good.status, good.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect((await postForm(server.url, '/correct/v1/charges', 'amount=5', {})).body).toEqual({
      error: 'idempotency_key_missing',
    });
  });

  it('answers 405 to other methods and 404 to other paths', async () => {
    expect((await get(server.url, '/correct/v1/customers')).status).toBe(405);
    expect((await postForm(server.url, '/correct/v1/invoices', 'a=1', { key: newKey() })).status).toBe(404);
    expect((await postForm(server.url, '/correct/v1/charges/ch_1/refunds/x', 'a=1', { key: newKey() })).status).toBe(
      404,
    );
  });
});

describe('the stateful v2 API: JSON with the key in the body', () => {
  const payment = (key: string | undefined, amount = 100) => ({
    ...(key === undefined ? {} : { idempotency_key: key }),
    source_id: 'cnon:card-nonce-ok',
    amount_money: { amount, currency: 'USD' },
  });

  it('reads the key from the body: replays, mismatches and missing or over-long keys', async () => {
    const key = newKey().slice(0, 40);
    const first = await post(server.url, '/correct/v2/payments', payment(key));
    expect(first.status).toBe(200);
    expect(first.body['payment']).toMatchObject({ status: 'APPROVED', amount_money: { amount: 100, currency: 'USD' } });
    const replay = await post(server.url, '/correct/v2/payments', payment(key));
    expect([replay.status, replay.headers.get('idempotent-replayed'), replay.text]).toEqual([200, 'true', first.text]);
    expect((await post(server.url, '/correct/v2/payments', payment(key, 200))).status).toBe(422);
    expect(await rowsFor(server.url, 'correct', key)).toBe(1);
    expect((await post(server.url, '/correct/v2/payments', payment(undefined))).body).toEqual({
      error: 'idempotency_key_missing',
    });
    expect((await post(server.url, '/correct/v2/payments', payment('k'.repeat(46)))).status).toBe(400);
    expect((await post(server.url, '/correct/v2/payments', { ...payment(undefined), idempotency_key: 7 })).status).toBe(
      400,
    );
  });

  it('completes a payment once; a second completion under another key is refused', async () => {
    const created = await post(server.url, '/correct/v2/payments', payment(newKey().slice(0, 40)));
    const id = (created.body['payment'] as { id: string }).id;
    const key = newKey().slice(0, 40);
    const done = await post(server.url, `/correct/v2/payments/${id}/complete`, { idempotency_key: key });
    expect([done.status, (done.body['payment'] as { status: string }).status]).toEqual([200, 'COMPLETED']);
    const replay = await post(server.url, `/correct/v2/payments/${id}/complete`, { idempotency_key: key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const again = await post(server.url, `/correct/v2/payments/${id}/complete`, {
      idempotency_key: newKey().slice(0, 40),
    });
    expect(again.status).toBe(400);
    const unknown = await post(server.url, '/correct/v2/payments/pay_0/complete', {
      idempotency_key: newKey().slice(0, 40),
    });
    expect(unknown.status).toBe(404);
  });
});

describe('parseForm', () => {
  it('nests bracket names and refuses what a form cannot mean', () => {
    expect(parseForm(Buffer.from('a=1&m[x]=2&m[y][z]=3&e[0]=p'))).toEqual({
      ok: true,
      value: { a: '1', m: { x: '2', y: { z: '3' } }, e: { '0': 'p' } },
    });
    for (const bad of ['m[x]=1&m=2', 'm=2&m[x]=1', 'a[]=1', 'constructor[x]=1', 'a]=1', 'a[b][c][d][e][f]=1']) {
      expect(parseForm(Buffer.from(bad)).ok, bad).toBe(false);
    }
    expect(parseForm(Buffer.from(Array.from({ length: 201 }, (_, i) => `f${i}=1`).join('&'))).ok).toBe(false);
  });
});

describe('nodes sharing their ledger share the resources', () => {
  it('refunds on one node a charge created on another', async () => {
    const cluster = await startDemoCluster({ flaws: new Set(), nodes: 2, processingMs: 0 });
    try {
      const [a, b] = cluster.nodes;
      if (!a || !b) throw new Error('two nodes expected');
      const charge = await newCharge(a.url, '/correct', 300);
      const key = newKey();
      const onB = await postForm(b.url, `/correct/v1/charges/${charge}/refunds`, 'amount=300', { key });
      expect(onB.status).toBe(200);
      const onA = await postForm(a.url, `/correct/v1/charges/${charge}/refunds`, 'amount=300', { key });
      expect([onA.status, onA.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    } finally {
      await cluster.close();
    }
  });
});
