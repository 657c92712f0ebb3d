import { describe, expect, it } from 'vitest';
import { askStarter, checkBaseUrl, parseBody } from './prompt.js';

describe('askStarter', () => {
  it('asks only what the flags did not give, and takes defaults on empty answers', async () => {
    const asked: string[] = [];
    const answers = ['', 'patch', '{"a":1}'];
    const result = await askStarter(
      (q) => {
        asked.push(q);
        return Promise.resolve(answers.shift() ?? '');
      },
      { path: '/orders' },
    );
    expect(asked.map((q) => q.split(' [')[0])).toEqual([
      'Base URL of the API',
      'Method of the operation to audit',
      'JSON body (empty for none)',
    ]);
    expect(result).toEqual({ baseUrl: 'http://127.0.0.1:8080', method: 'PATCH', path: '/orders', body: { a: 1 } });
  });

  it('rejects malformed input with a usage error', () => {
    expect(() => parseBody('{nope')).toThrow(/not valid JSON/);
    expect(parseBody('  ')).toBeUndefined();
    expect(() => checkBaseUrl('localhost:8080')).toThrow(/http:\/\//);
    expect(checkBaseUrl('http://x:1/')).toBe('http://x:1');
  });
});
