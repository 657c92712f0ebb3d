import { describe, expect, it } from 'vitest';
import { HOSTILE, hostileResult } from './__fixtures__/hostile-result.js';
import { markdownReporter, renderMarkdown } from './markdown.js';

/** Rows of the endpoint × attack table (the one whose header names the endpoint column). */
function attackRows(md: string): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| endpoint | attack |'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    // Split on pipes that are not escaped.
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

  it('keeps one table row per attack, with six cells, whatever the target wrote', () => {
    const rows = attackRows(md);
    expect(rows).toHaveLength(result.attacks.length);
    for (const r of rows) expect(r).toHaveLength(6);
    expect(rows.map((r) => r[2])).toEqual(['❌ failed', '✅ passed', '⏭️ skipped']);
  });

  it('lets no raw HTML or markdown link from the target into the page', () => {
    expect(md).not.toContain(HOSTILE.script);
    expect(md).not.toContain('<img');
    expect(md).toContain('\\<script\\>');
  });

  it('fences the reproduction so backticks in it cannot close the block', () => {
    expect(md).toContain('````sh\nidem-audit run x.yaml --seed 7 ```\nrm -rf /\n```\n````');
  });

  it('gives the verdict the exit code means', () => {
    expect(md).toContain('❌ **1 finding(s) at or above high**');
    expect(renderMarkdown(result, 0)).toContain('✅ **passed**');
    expect(renderMarkdown(result, 3)).toContain('**incomplete**');
    expect(renderMarkdown(result, 130)).toContain('**interrupted**');
    expect(markdownReporter.meta.destination).toBe('summary.md');
  });

  it('lists each finding with its fingerprint', () => {
    for (const f of result.findings) expect(md).toContain(f.fingerprint);
  });

  it('HTML-escapes the <summary> line, which GitHub reads as raw HTML where markdown escapes do not apply', () => {
    const r = hostileResult();
    const f = r.findings[0];
    if (!f) throw new Error('fixture has a finding');
    r.findings[0] = { ...f, endpoint: '<img src=x onerror=alert(1)>', kind: 'k"<b>' };
    const summary = renderMarkdown(r, 1)
      .split('\n')
      .find((l) => l.startsWith('<details>'));
    expect(summary).toBeDefined();
    expect(summary).not.toMatch(/<img|<b>[^<]*k|\\</);
    expect(summary).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('fences a reproduction holding four backticks with five, and cuts long cells without a dangling escape', () => {
    const r = hostileResult();
    const f = r.findings[0];
    if (!f) throw new Error('fixture has a finding');
    r.findings[0] = { ...f, reproduce: { ...f.reproduce, command: 'a ````\nb' } };
    const a = r.attacks[2];
    if (!a) throw new Error('fixture has three attacks');
    r.attacks[2] = { ...a, reason: `${'x'.repeat(299)}|tail` };
    const md = renderMarkdown(r, 1);
    expect(md).toContain('`````sh\na ````\nb\n`````');
    const rows = attackRows(md);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toHaveLength(6);
    expect(rows[2]?.[5]).toBe('x'.repeat(299) + '\\|');
  });
});
