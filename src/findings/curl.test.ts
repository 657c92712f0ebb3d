import { describe, expect, it } from 'vitest';
import type { Exchange } from '../http/exchange.js';
import { toCurl, toCurlLines } from './curl.js';

function ex(id: number, burst?: number): Exchange {
  const e: Exchange = {
    id,
    label: `r${id}`,
    attack: 'a',
    endpoint: 'e',
    key: 'k',
    principal: 'default',
    request: {
      method: 'POST',
      url: 'http://127.0.0.1:1/p',
      headers: { 'content-type': 'application/json', authorization: '[REDACTED]' },
      body: `{"note":"it's"}`,
    },
    timings: { queued: 0 },
  };
  if (burst !== undefined) e.burst = burst;
  return e;
}

describe('toCurl', () => {
  it('quotes single quotes in bodies and keeps redaction markers', () => {
    expect(toCurl(ex(1))).toBe(
      `curl -sS -i -X POST 'http://127.0.0.1:1/p' -H 'content-type: application/json' -H 'authorization: [REDACTED]' --data-raw '{"note":"it'\\''s"}'`,
    );
  });

  it('joins a burst into one parallel shell line', () => {
    const lines = toCurlLines([ex(1), ex(2, 7), ex(3, 7), ex(4)]);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^curl .* & curl .* & wait$/);
  });

  it('sends a form or text body with its own content type, and marks setup requests', () => {
    const form = ex(5);
    form.request = {
      method: 'POST',
      url: 'http://127.0.0.1:1/v1/charges/ch_1/refunds',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'Idempotency-Key': 'k' },
      body: 'amount=500&metadata%5Border%5D=o+1',
    };
    expect(toCurl(form)).toBe(
      `curl -sS -i -X POST 'http://127.0.0.1:1/v1/charges/ch_1/refunds' -H 'content-type: application/x-www-form-urlencoded' -H 'Idempotency-Key: k' --data-raw 'amount=500&metadata%5Border%5D=o+1'`,
    );
    const setup = { ...ex(6), label: 'setup charge', key: undefined, phase: 'setup' as const };
    expect(toCurl(setup)).toMatch(/--data-raw '\{"note":"it'\\''s"\}' {2}# setup charge$/);
  });
});
