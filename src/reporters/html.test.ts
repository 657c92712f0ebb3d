import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HOSTILE, hostileResult } from './__fixtures__/hostile-result.js';
import { contentSecurityPolicy, htmlReporter, renderHtml } from './html.js';
import { esc } from './html/escape.js';
import { SCRIPT } from './html/script.js';
import { STYLE } from './html/style.js';

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('report.html', () => {
  const result = hostileResult();
  const html = renderHtml(result, 1);

  it('escapes everything the target and the scenario supplied', () => {
    for (const payload of [HOSTILE.script, HOSTILE.attribute, HOSTILE.textarea]) {
      expect(html).not.toContain(payload);
    }
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;');
    expect(html).toContain('&lt;/textarea&gt;&lt;svg onload=');
    // The page's own script is the only one, and no element carries an event handler.
    expect(html.match(/<script\b/g)).toHaveLength(1);
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+=/i);
  });

  it('shows raw control characters from the target as visible pictures, never raw', () => {
    // The fixture's response body ends in NUL and ESC[31m.
    expect(html).toContain('\u2400\u241b[31m');
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
    expect(esc('a\tb\nc\r\u0085\u007f')).toBe('a\tb\nc\r\ufffd\u2421');
  });

  it('leads with the verdict, the counts and the matrix; findings follow, grouped by endpoint and collapsed', () => {
    const order = ['id="verdict"', 'id="cell-summary"', 'id="matrix"', 'id="findings"', 'id="notes"'].map((m) =>
      html.indexOf(m),
    );
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > (order[i - 1] ?? 0)))).toBe(true);
    expect(html).toContain('<strong>FAILED</strong> <span>exit 1: 1 finding at or above high fail the run</span>');
    // Every finding is a closed <details> in its endpoint's group, the one below fail-on marked so.
    expect(html.match(/<details class="finding [^"]*"/g)).toHaveLength(hostileResult().findings.length);
    expect(html).not.toMatch(/<details class="finding[^>]* open/);
    expect(html).toContain('data-endpoint="pay-ments-"');
    expect(html.match(/<span class="below" title="reported, but below --fail-on high/g)).toHaveLength(1);
    // A cell with findings links to the most severe; the others carry no link.
    expect(html).toMatch(
      /<td data-cell="pay-ments-:concurrent-burst" class="m-fails" [^>]*><a href="#f-0123456789abcdef"/,
    );
    const below = hostileResult();
    const cell = below.attacks[1];
    if (!cell) throw new Error('fixture has attacks');
    below.attacks[1] = { ...cell, status: 'failed', findings: 1 };
    expect(renderHtml(below, 1)).toMatch(
      /<td data-cell="pay-ments-:missing-key" class="m-below" [^>]*><a href="#f-fedcba9876543210"/,
    );
    expect(html).toMatch(/<td data-cell="pay-ments-:ttl-probe" class="m-skipped" [^>]*>·<\/td>/);
  });

  it('loads nothing from anywhere: no external reference, and a CSP that allows only its own inline code', () => {
    expect(html).not.toMatch(/\s(src|href|action)=["']?(https?:)?\/\//i);
    const csp = contentSecurityPolicy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(SCRIPT)}`);
    expect(csp).toContain(`style-src ${hash(STYLE)}`);
    expect(csp).not.toContain('unsafe-inline');
    expect(html).toContain(`content="${csp.replace(/'/g, '&#39;')}"`);
  });

  it('shows every finding with its fingerprint, the redacted evidence and the verdict', () => {
    for (const f of result.findings) expect(html).toContain(f.fingerprint);
    expect(html).toContain('[REDACTED]');
    expect(html).toContain('exit 1: 1 finding at or above high fail the run');
  });

  it('states an interrupted or incomplete run instead of a pass', () => {
    expect(renderHtml(result, 130)).toContain('<strong>INTERRUPTED</strong> <span>exit 130: interrupted');
    expect(renderHtml(result, 3)).toContain(
      '<strong>NOT AUDITED</strong> <span>exit 3: part of the audit could not be carried out',
    );
    const clean = {
      ...result,
      findings: [],
      summary: { ...result.summary, findings: { ...result.summary.findings, critical: 0, low: 0 } },
    };
    expect(renderHtml(clean, 0)).toContain('<strong>PASSED</strong> <span>exit 0: no finding at or above high</span>');
  });

  it('escapes fields read back from a report.json (merge), not only the target text', () => {
    const r = hostileResult();
    const a = r.attacks[1];
    if (!a) throw new Error('fixture has attacks');
    // A merged report's statuses come from files on disk; a tampered one must not inject markup.
    r.attacks[1] = { ...a, status: '"><script>window.__pwned = 4</script>' as never };
    const page = renderHtml(r, 1);
    expect(page).not.toContain('<script>window.__pwned = 4');
    expect(page.match(/<script\b/g)).toHaveLength(1);
  });

  it('is registered as report.html', () => {
    expect(htmlReporter.meta.destination).toBe('report.html');
    expect(htmlReporter.render(result, { color: false, reportDir: undefined, exitCode: 1 })).toBe(html);
  });
});
