import { describe, expect, it } from 'vitest';
import { hostileResult } from './__fixtures__/hostile-result.js';
import { plain, renderTerminal } from './terminal.js';

describe('terminal report', () => {
  it('lets no control sequence from the target reach the terminal', () => {
    const r = hostileResult();
    const f = r.findings[0];
    const a = r.attacks[1];
    if (!f || !a) throw new Error('fixture has findings and attacks');
    r.findings[0] = {
      ...f,
      message: 'clean\u001b[2J\u001b[Hexit 0: no finding',
      observed: 'x\rforged',
      reproduce: { ...f.reproduce, curl: ["curl --data-raw '\u001b]0;title\u0007'"] },
    };
    r.attacks[1] = { ...a, notes: ['\u009b31mred'] };
    r.errors = [{ code: 'IDEM_X', message: 'boom\u001b[1A' }];
    const out = renderTerminal(r, false, undefined, 1);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u001b\u009b\u0007\r]/);
    expect(out).toContain('clean\ufffd[2J\ufffd[Hexit 0: no finding');
    // With colour on, the only escape sequences left are chalk's SGR codes.
    const coloured = renderTerminal(r, true, undefined, 1);
    // eslint-disable-next-line no-control-regex
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(/[\u001b\u009b\u0007\r]/);
  });

  it('keeps tabs and line breaks', () => {
    expect(plain('a\tb\nc')).toBe('a\tb\nc');
  });
});
