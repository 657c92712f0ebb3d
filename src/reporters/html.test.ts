import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HOSTILE, hostileResult } from './__fixtures__/hostile-result.js';
import { contentSecurityPolicy, htmlReporter, renderHtml } from './html.js';
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
    expect(html).toContain('FAILED: 1 finding(s) at or above high');
  });

  it('states an interrupted or incomplete run instead of a pass', () => {
    expect(renderHtml(result, 130)).toContain('INTERRUPTED: partial report');
    expect(renderHtml(result, 3)).toContain('INCOMPLETE');
    const clean = {
      ...result,
      findings: [],
      summary: { ...result.summary, findings: { ...result.summary.findings, critical: 0, low: 0 } },
    };
    expect(renderHtml(clean, 0)).toContain('PASSED: no finding');
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
