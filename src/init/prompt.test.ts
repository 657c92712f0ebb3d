import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors/errors.js';
import { MAX_ATTEMPTS, askStarter, checkBaseUrl, checkMethod, parseBody, type Prompter } from './prompt.js';

/** A prompter answering from a script, recording the conversation in order. */
function scripted(answers: string[]): Prompter & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    ask(question) {
      log.push(`? ${question.split(' [')[0] ?? ''}`);
      const a = answers.shift();
      return a === undefined ? Promise.reject(new Error('asked more than scripted')) : Promise.resolve(a);
    },
    tell(line) {
      log.push(`! ${line.trim()}`);
    },
  };
}

describe('askStarter', () => {
  it('asks only what the flags did not give, and takes defaults on empty answers', async () => {
    const p = scripted(['', 'patch', '{"a":1}']);
    const result = await askStarter(p, { path: '/orders' });
    expect(p.log).toEqual([
      '? Base URL of the API',
      '? Method of the operation to audit',
      '? JSON body (empty for none)',
    ]);
    expect(result).toEqual({ baseUrl: 'http://127.0.0.1:8080', method: 'PATCH', path: '/orders', body: { a: 1 } });
  });

  it('refuses a bad answer at once, says why, and asks the same question again', async () => {
    const p = scripted(['localhost:8080', 'http://127.0.0.1:9/', 'PO ST', 'post', 'orders', '/orders', '{nope', '']);
    const result = await askStarter(p, {});
    expect(p.log).toEqual([
      '? Base URL of the API',
      "! base URL must start with http:// or https://, got 'localhost:8080'; try again",
      '? Base URL of the API',
      '? Method of the operation to audit',
      "! method must be a word such as POST or PATCH, got 'PO ST'; try again",
      '? Method of the operation to audit',
      '? Path of the operation',
      "! path must start with '/', got 'orders'; try again",
      '? Path of the operation',
      '? JSON body (empty for none)',
      '! the body is not valid JSON: {nope (e.g. {"amount":1000,"currency":"usd"}); try again',
      '? JSON body (empty for none)',
    ]);
    expect(result).toEqual({ baseUrl: 'http://127.0.0.1:9', method: 'POST', path: '/orders', body: {} });
  });

  it(`gives up after ${MAX_ATTEMPTS} bad answers to one question`, async () => {
    const p = scripted(Array.from({ length: MAX_ATTEMPTS }, () => 'nope'));
    await expect(askStarter(p, {})).rejects.toThrow(UsageError);
    expect(p.log.filter((l) => l.startsWith('?'))).toHaveLength(MAX_ATTEMPTS);
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
