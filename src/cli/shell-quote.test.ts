import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from './shell-quote.js';

describe('shellQuote', () => {
  it('leaves plain paths alone and quotes the rest so the shell reads them back verbatim', () => {
    expect(shellQuote('scenarios/demo.yaml')).toBe('scenarios/demo.yaml');
    for (const arg of ["my scenarios/it's here.yaml", '$(touch /tmp/x); `id`', 'a\nb', '']) {
      const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(arg)}`]).toString();
      expect(echoed).toBe(arg);
    }
  });
});
