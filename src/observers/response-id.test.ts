import { describe, expect, it } from 'vitest';
import { ObserverError } from '../errors/errors.js';
import type { Exchange } from '../http/exchange.js';
import { responseIdObserver } from './response-id.js';
import type { ObserverEnv } from './types.js';

function answer(body: string, status = 201, truncated = false): Exchange {
  return {
    id: 1,
    label: 'x',
    attack: 'a',
    endpoint: 'e',
    key: 'k',
    principal: 'default',
    request: { method: 'POST', url: 'http://x/', headers: {}, body: undefined },
    response: { status, headers: {}, body, bytes: body.length, truncated },
    timings: { queued: 0 },
  };
}

const observer = (path: string) =>
  responseIdObserver.create(responseIdObserver.meta.options.parse(path), {} as ObserverEnv);

describe('responseId observer', () => {
  it('counts distinct ids among successful answers only', async () => {
    const c = await observer('$.id').count('k', {
      exchanges: [answer('{"id":"p1"}'), answer('{"id":"p1"}', 200), answer('{"id":"p2"}'), answer('{"id":"p9"}', 409)],
    });
    expect(c.count).toBe(2);
  });

  it('counts 0 when nothing succeeded', async () => {
    expect((await observer('$.id').count('k', { exchanges: [answer('{"error":"x"}', 500)] })).count).toBe(0);
  });

  it('refuses to count when no successful answer has the id: a wrong path must not hide a duplicate', async () => {
    const two = [answer('{"data":{"id":"p1"}}'), answer('{"data":{"id":"p2"}}')];
    await expect(observer('$.id').count('k', { exchanges: two })).rejects.toThrow(ObserverError);
    await expect(observer('$.id').count('k', { exchanges: two })).rejects.toThrow(/no id in any of 2 successful/);
    expect((await observer('$.data.id').count('k', { exchanges: two })).count).toBe(2);
    await expect(observer('$.id').count('k', { exchanges: [answer('{"id":"p1", "pad', 201, true)] })).rejects.toThrow(
      /bodyCap/,
    );
  });
});
