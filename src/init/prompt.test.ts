import { describe, expect, it } from 'vitest';
import { askStarter, checkBaseUrl, checkMethod, parseBody } from './prompt.js';

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

  it('refuses a base URL or a method that would break the generated YAML', () => {
    for (const url of ['http://a.b/x}y', 'http://a.b/ #c', 'http://a.b/x\nname: y', 'http://a.b/?q=1', 'http://a"b'])
      expect(() => checkBaseUrl(url), url).toThrow(/plain http\(s\) URL/);
    expect(checkBaseUrl('https://api.example.com/v1/')).toBe('https://api.example.com/v1');
    expect(checkMethod(' patch ')).toBe('PATCH');
    for (const m of ['POST\n  evil: 1', 'PO ST', 'POST#', ''])
      expect(() => checkMethod(m), m).toThrow(/method must be/);
  });
});
