/**
 * The HTML report in a real headless Chromium: it must render offline with no console error and
 * no request beyond the file itself, show every finding, and stay inert when the target's
 * responses carry script-injection payloads in their bodies and headers.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attacks } from '../../src/attacks/index.js';
import { extensionSchemas } from '../../src/engine/extension-schemas.js';
import { loadScenario } from '../../src/config/index.js';
import type { AuditResult } from '../../src/result/result.js';
import { runAudit } from '../../src/engine/run-audit.js';
import { exitCodeOf } from '../../src/verdict/exit-codes.js';
import { observers } from '../../src/observers/index.js';
import { renderHtml } from '../../src/reporters/html.js';
import { auditDemo } from '../helpers/audit-demo.js';
import { httpServer } from '../helpers/servers.js';
import { openFile } from './chromium.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'idem-html-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeReport(name: string, result: AuditResult): string {
  const file = join(work, name);
  writeFileSync(file, renderHtml(result, exitCodeOf(result)));
  return file;
}

describe('report.html of the demo audit', () => {
  let result: AuditResult;
  beforeAll(async () => {
    // The whole demo (every attack on every flaw): a few thousand requests, slow on a busy CI box.
    result = await auditDemo({ flaws: 'all', seed: 7 });
  }, 300_000);

  it('renders offline with every finding, working filters and burst timelines', async () => {
    expect(result.findings.length).toBeGreaterThan(3);
    const file = writeReport('demo.html', result);
    const opened = await openFile(file);
    try {
      const { page } = opened;
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.pageErrors).toEqual([]);
      expect(opened.requests).toEqual([opened.url]);

      expect(await page.locator('#verdict').textContent()).toContain('FAILED');
      expect(await page.locator('#verdict').textContent()).toContain('exit 1:');
      for (const f of result.findings) {
        const finding = page.locator(`details.finding[data-fingerprint="${f.fingerprint}"]`);
        expect(await finding.count()).toBe(1);
        expect(await finding.isVisible()).toBe(true);
        expect(await finding.locator(':scope > summary').textContent()).toContain(f.title);
      }
      expect(await page.locator('#matrix td[data-cell]').count()).toBe(result.attacks.length);

      // A burst finding carries its timeline: one row (sent marker) per request of the burst.
      const burst = result.findings.find((f) => f.attack === 'concurrent-burst');
      expect(burst).toBeDefined();
      const figure = page.locator(`details.finding[data-fingerprint="${burst?.fingerprint ?? ''}"] figure.timeline`);
      expect(await figure.count()).toBeGreaterThan(0);
      expect(await figure.first().locator('circle').count()).toBeGreaterThanOrEqual(2);

      // Unticking a severity hides exactly the findings of that severity.
      const sev = result.findings[0]?.severity ?? 'critical';
      await page.locator(`input[data-filter="severity"][value="${sev}"]`).uncheck();
      const hidden = await page.locator('details.finding:not([hidden])').count();
      expect(hidden).toBe(result.findings.filter((f) => f.severity !== sev).length);
      await page.locator(`input[data-filter="severity"][value="${sev}"]`).check();

      // The copy button works offline (clipboard API or its fallback) without a console error.
      await page.locator('details.finding').first().locator(':scope > summary').click();
      const copy = page.locator('details.finding[open] button.copy').first();
      await copy.click();
      await expect.poll(() => copy.textContent(), { timeout: 3_000, interval: 50 }).toBe('copied');

      expect(opened.consoleErrors).toEqual([]);
      expect(opened.pageErrors).toEqual([]);
      expect(opened.requests).toEqual([opened.url]);
    } finally {
      await opened.close();
    }
  }, 120_000);

  it('reads in seconds: overview first, findings collapsed, no sideways scrolling, a cell opens its finding', async () => {
    const file = writeReport('demo-layout.html', result);
    const opened = await openFile(file);
    try {
      const { page } = opened;
      interface Layout {
        scrollWidth: number;
        height: number;
        matrixBottom: number;
      }
      const measure = (): Promise<Layout> =>
        page.evaluate<Layout>(`({
          scrollWidth: document.documentElement.scrollWidth,
          height: document.documentElement.scrollHeight,
          matrixBottom: document.getElementById('matrix').getBoundingClientRect().bottom + window.scrollY,
        })`);

      await page.setViewportSize({ width: 1400, height: 900 });
      const wide = await measure();
      // The whole page is as wide as the window: long keys and URLs wrap, the matrix scrolls in its box.
      expect(wide.scrollWidth).toBeLessThanOrEqual(1400);
      // Verdict, counts and the whole matrix on the first screen.
      expect(wide.matrixBottom).toBeLessThanOrEqual(900);
      // 31 endpoints × 22 attacks in the demo since the stateful and crash endpoints: rows 17 px high.
      // Measured 3,718 px for the full demo (43 findings in 15 endpoint groups, one 32 px line
      // each, under a 690 px matrix); one finding open by default adds 400 px or more, so the
      // bound catches any, with room for other fonts.
      expect(wide.height).toBeLessThan(5_000);
      expect(await page.locator('details.finding[open]').count()).toBe(0);

      // Screenshot for the CI artifact and the README: the first screen.
      const shots = join(ROOT, 'reports', 'screenshots');
      mkdirSync(shots, { recursive: true });
      const png = join(shots, 'report.png');
      await page.screenshot({ path: png, clip: { x: 0, y: 0, width: 1400, height: 900 } });
      // The README's picture is refreshed on request only, so a test run leaves the tree clean.
      const readmePicture = join(ROOT, 'docs', 'report.png');
      if (!existsSync(readmePicture) || process.env['IDEM_UPDATE_SCREENSHOT'] === '1') copyFileSync(png, readmePicture);

      // A failed cell opens its finding and brings it to the top of the window.
      const cell = page.locator('#matrix td.m-fails a').nth(3);
      const href = (await cell.getAttribute('href')) ?? '';
      expect(href).toMatch(/^#f-[0-9a-f]{16}/);
      await cell.click();
      const target = page.locator(href);
      await expect.poll(async () => (await target.getAttribute('open')) !== null).toBe(true);
      await expect
        .poll(async () => (await target.boundingBox())?.y ?? -1, { timeout: 3_000, interval: 50 })
        .toBeLessThan(5);
      expect((await target.boundingBox())?.y ?? -1).toBeGreaterThanOrEqual(-2);
      expect(page.url().endsWith(href)).toBe(true);
      const [endpoint, attack] = ((await cell.locator('xpath=..').getAttribute('data-cell')) ?? '').split(':');
      expect(await target.getAttribute('data-attack')).toBe(attack);
      expect(await target.locator('xpath=..').getAttribute('data-endpoint')).toBe(endpoint);

      // On a phone: still no sideways page scroll, and an open burst timeline fits its width.
      await page.setViewportSize({ width: 390, height: 844 });
      const narrow = await measure();
      expect(narrow.scrollWidth).toBeLessThanOrEqual(390);
      const svg = target.locator('figure.timeline svg').first();
      if ((await svg.count()) > 0) {
        await svg.scrollIntoViewIfNeeded();
        const box = await svg.boundingBox();
        expect(box).not.toBeNull();
        expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(390);
      }
      // Everything opened at once: the page still does not scroll sideways.
      await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
      for (const width of [390, 1400]) {
        await page.setViewportSize({ width, height: 900 });
        expect((await measure()).scrollWidth).toBeLessThanOrEqual(width);
      }
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.pageErrors).toEqual([]);
    } finally {
      await opened.close();
    }
  }, 120_000);
});

const SCRIPT_PAYLOAD = `<script>window.__pwned = 'script'; console.error('pwned by script')</script>`;
const IMG_PAYLOAD = `"><img src=x onerror="window.__pwned='img';console.error('pwned by img')">`;
const TEXTAREA_PAYLOAD = `</textarea><script>window.__pwned = 'textarea'; console.error('pwned by textarea')</script>`;
const ATTR_PAYLOAD = `' onmouseover='window.__pwned=1' x='`;

describe('report.html of a hostile target', () => {
  it('executes nothing the target sent in bodies or headers', async () => {
    let n = 0;
    // Never deduplicates, so every attack reports evidence full of the payloads.
    const server = await httpServer((req, res) => {
      req.resume();
      req.on('end', () => {
        n++;
        res.setHeader('X-Script', SCRIPT_PAYLOAD);
        res.setHeader('X-Img', IMG_PAYLOAD);
        res.setHeader('X-Textarea', TEXTAREA_PAYLOAD);
        res.setHeader('Content-Type', 'application/json');
        res.statusCode = 201;
        res.end(
          JSON.stringify({
            id: `pay_${n}${IMG_PAYLOAD}`,
            note: `${SCRIPT_PAYLOAD}${IMG_PAYLOAD}${TEXTAREA_PAYLOAD}${ATTR_PAYLOAD}`,
            // Raw in the JSON text (JSON escapes only C0 controls): DEL and a C1 CSI.
            control: `del\u007f csi\u009b31m ${'x'.repeat(300)}`,
          }),
        );
      });
    });
    try {
      const file = join(work, 'hostile.yaml');
      writeFileSync(
        file,
        [
          'version: 1',
          'name: hostile',
          'target:',
          '  baseUrl: ${HOSTILE_URL}',
          'contract:',
          '  profile: ietf',
          'endpoints:',
          '  pay:',
          '    request: { method: POST, path: /pay, body: { amount: 1 } }',
          "    key: '{{uuid}}'",
          '    observe:',
          '      - responseId: $.id',
          '',
        ].join('\n'),
      );
      const scenario = await loadScenario(file, extensionSchemas(), { HOSTILE_URL: server.url });
      const result = await runAudit({ scenario, attacks, observers, seed: 3 });
      expect(result.findings.length).toBeGreaterThan(0);
      const evidence = JSON.stringify(result.findings.map((f) => f.exchanges));
      expect(evidence).toContain('<script>');
      expect(evidence).toContain('</textarea>');

      const html = renderHtml(result, exitCodeOf(result));
      expect(html).not.toContain(SCRIPT_PAYLOAD);
      expect(html).not.toContain('<img src=x');
      // Raw control characters from bodies are shown as their pictures, never passed through.
      // eslint-disable-next-line no-control-regex
      expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/);
      const report = join(work, 'hostile.html');
      writeFileSync(report, html);
      const opened = await openFile(report);
      try {
        const { page } = opened;
        // Open every collapsed body so nothing stays unparsed by layout.
        await page.evaluate("document.querySelectorAll('details').forEach((d) => d.setAttribute('open', ''))");
        await page.mouse.move(300, 300);
        await page.waitForTimeout(200);
        // Evaluated as page source: the test's own TypeScript has no DOM types.
        expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
        expect(await page.locator('img').count()).toBe(0);
        expect(await page.locator('textarea').count()).toBe(0);
        expect(await page.locator('script').count()).toBe(1);
        // The payloads are shown as text, which is what a reader needs to see.
        expect(await page.locator('body').textContent()).toContain(SCRIPT_PAYLOAD);
        expect(await page.locator('body').textContent()).toContain(TEXTAREA_PAYLOAD);
        expect(await page.locator('body').textContent()).toContain('del\u2421 csi\ufffd31m');
        // A 300-character word from the target wraps instead of widening the page.
        await page.setViewportSize({ width: 390, height: 844 });
        expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
        expect(opened.consoleErrors).toEqual([]);
        expect(opened.pageErrors).toEqual([]);
        expect(opened.requests).toEqual([opened.url]);
        for (const f of result.findings)
          expect(await page.locator(`details.finding[data-fingerprint="${f.fingerprint}"]`).count()).toBe(1);
      } finally {
        await opened.close();
      }
    } finally {
      await server.close();
    }
  }, 120_000);
});
