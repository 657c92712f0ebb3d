import { describe, expect, it } from 'vitest';
import { classifyTransportError } from './transport-errors.js';

const withCode = (code: string, message = 'm'): Error => Object.assign(new Error(message), { code });

describe('classifyTransportError', () => {
  it.each([
    ['ECONNREFUSED', 'connect-refused'],
    ['ECONNRESET', 'reset'],
    ['HPE_INVALID_STATUS', 'protocol'],
    // The single-packet frame layer's peer violations (bad SETTINGS, oversized frames).
    ['ERR_HTTP2_ERROR', 'protocol'],
    ['UND_ERR_ABORTED', 'aborted'],
  ])('classifies %s as %s', (code, expected) => {
    expect(classifyTransportError(withCode(code)).code).toBe(expected);
  });

  it('keeps an unknown code as other, with its message', () => {
    const c = classifyTransportError(withCode('EWEIRD', 'strange'));
    expect(c.code).toBe('other');
    expect(c.message).toContain('strange');
  });
});
