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
});
