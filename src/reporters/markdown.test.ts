import { describe, expect, it } from 'vitest';
import { fullDemoResult } from './__fixtures__/full-demo.js';
import { HOSTILE, hostileResult } from './__fixtures__/hostile-result.js';
import { SUMMARY_BUDGET, markdownReporter, renderMarkdown } from './markdown.js';

/** Rows of the table whose header starts with `head`, split on unescaped pipes. */
function tableRows(md: string, head: string): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(head));
  if (start < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

describe('summary.md', () => {
  const result = hostileResult();
  const md = renderMarkdown(result, 1);

  it('keeps one grid row per endpoint with a cell per attack, whatever the target wrote', () => {
    const rows = tableRows(md, '| endpoint |');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual(['pay\\<ments\\>', '❌', '✅', '⏭️']);
  });

  it('lets no raw HTML or markdown link from the target into the page', () => {
    expect(md).not.toContain(HOSTILE.script);
    expect(md).not.toContain('<img');
    expect(md).toContain('\\<script\\>');
  });

  it('fences the reproduction so backticks in it cannot close the block', () => {
    expect(md).toContain('````sh\nidem-audit run x.yaml --seed 7 ```\nrm -rf /\n```\n````');
  });

  it('gives the verdict the exit code means, first', () => {
    expect(md.split('\n')[2]).toBe('❌ **FAILED** · exit 1: 1 finding at or above high fail the run');
    expect(renderMarkdown(result, 0)).toContain('✅ **PASSED** · exit 0: no finding at or above high');
    expect(renderMarkdown(result, 3)).toContain('⚠️ **NOT AUDITED** · exit 3:');
    expect(renderMarkdown(result, 130)).toContain('⚠️ **INTERRUPTED** · exit 130:');
    expect(markdownReporter.meta.destination).toBe('summary.md');
  });

  it('lists failures first, then findings below fail-on as such, then every cell folded away', () => {
    const failing = md.indexOf('### ❌ Failing: 1 finding at or above high');
    const below = md.indexOf('### 🔸 Below fail-on: 1 finding under high (reported, not failing)');
    const cells = md.indexOf('<details><summary>All 3 cells');
    expect(failing).toBeGreaterThan(0);
    expect(below).toBeGreaterThan(failing);
    expect(cells).toBeGreaterThan(below);
    expect(tableRows(md.slice(failing), '| severity |').map((r) => r[3])).toEqual(['`0123456789abcdef`']);
    expect(tableRows(md.slice(below), '| severity |').map((r) => r[3])).toEqual(['`fedcba9876543210`']);
    expect(md).toContain('<b>LOW</b> (below high: does not fail the run)');
  });

  it('lists each finding with its fingerprint', () => {
    for (const f of result.findings) expect(md).toContain(f.fingerprint);
  });

  it('HTML-escapes the <summary> line, which GitHub reads as raw HTML where markdown escapes do not apply', () => {
    const r = hostileResult();
    const f = r.findings[0];
    if (!f) throw new Error('fixture has a finding');
    r.findings[0] = { ...f, endpoint: '<img src=x onerror=alert(1)>', title: 'k"<b>' };
    const summary = renderMarkdown(r, 1)
      .split('\n')
      .find((l) => l.startsWith('<details><summary><b>CRITICAL'));
    expect(summary).toBeDefined();
    expect(summary).not.toMatch(/<img|<b>[^<]*k|\\</);
    expect(summary).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('fences a reproduction holding four backticks with five, and cuts long cells without a dangling escape', () => {
    const r = hostileResult();
    const f = r.findings[0];
    if (!f) throw new Error('fixture has a finding');
    r.findings[0] = { ...f, title: `${'x'.repeat(299)}|tail`, reproduce: { ...f.reproduce, command: 'a ````\nb' } };
    const md = renderMarkdown(r, 1);
    expect(md).toContain('`````sh\na ````\nb\n`````');
    const rows = tableRows(md, '| severity |');
    expect(rows[0]).toHaveLength(4);
    expect(rows[0]?.[2]).toBe('x'.repeat(299) + '\\|');
  });

  describe('of the full demo (360 cells, 52 findings)', () => {
    const demo = fullDemoResult();
    const text = renderMarkdown(demo, demo.exitCode);

    it('stays under 64 KB with every finding, the passing cells only inside <details>', () => {
      expect(Buffer.byteLength(text)).toBeLessThan(64 * 1024);
      for (const f of demo.findings) expect(text).toContain(f.fingerprint);
      const folded = text.indexOf('<details><summary>All 360 cells');
      expect(folded).toBeGreaterThan(0);
      // Before the fold, passing cells appear only as a count.
      expect(text.slice(0, folded).match(/✅/g)).toHaveLength(1);
      expect(tableRows(text, '| endpoint |')).toHaveLength(30);
      expect(text).toContain('### ❌ Failing: 45 findings at or above high');
      expect(text).toContain('### 🔸 Below fail-on: 7 findings under high');
    });

    it('stays within its budget however many findings a run has', () => {
      const many = fullDemoResult();
      many.findings = Array.from({ length: 40 }, (_, i) =>
        many.findings.map((f) => ({ ...f, fingerprint: `${f.fingerprint}-${i}` })),
      ).flat();
      const big = renderMarkdown(many, 1);
      expect(Buffer.byteLength(big)).toBeLessThanOrEqual(SUMMARY_BUDGET);
      expect(big).toMatch(/…and \d+ more \(report\.json lists them all\)\./);
      expect(big).toMatch(/…and \d+ more findings, left out to keep this summary short: see report\.html\./);
    });
  });
});
