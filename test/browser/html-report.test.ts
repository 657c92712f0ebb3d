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
      for (const f of result.findings) {
        const section = page.locator(`section.finding[data-fingerprint="${f.fingerprint}"]`);
        expect(await section.count()).toBe(1);
        expect(await section.isVisible()).toBe(true);
        expect(await section.locator('h3').first().textContent()).toContain(f.title);
      }
      expect(await page.locator('#matrix td[data-cell]').count()).toBe(result.attacks.length);

      // A burst finding carries its timeline: one row (sent marker) per request of the burst.
      const burst = result.findings.find((f) => f.attack === 'concurrent-burst');
      expect(burst).toBeDefined();
      const figure = page.locator(`section.finding[data-fingerprint="${burst?.fingerprint ?? ''}"] figure.timeline`);
      expect(await figure.count()).toBeGreaterThan(0);
      expect(await figure.first().locator('circle').count()).toBeGreaterThanOrEqual(2);

      // Unticking a severity hides exactly the findings of that severity.
      const sev = result.findings[0]?.severity ?? 'critical';
      await page.locator(`input[data-filter="severity"][value="${sev}"]`).uncheck();
      const hidden = await page.locator('section.finding:not([hidden])').count();
      expect(hidden).toBe(result.findings.filter((f) => f.severity !== sev).length);
      await page.locator(`input[data-filter="severity"][value="${sev}"]`).check();

      // Screenshot for the CI artifact and the README: the verdict and a race with its timeline,
      // reached through the attack filter (which must leave only that attack's findings).
      for (const box of await page.locator('input[data-filter="attack"]').all())
        if ((await box.getAttribute('value')) !== 'concurrent-burst') await box.uncheck();
      expect(await page.locator('section.finding:not([hidden])').count()).toBe(
        result.findings.filter((f) => f.attack === 'concurrent-burst').length,
      );
      const shots = join(ROOT, 'reports', 'screenshots');
      mkdirSync(shots, { recursive: true });
      const png = join(shots, 'report.png');
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: png, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1500 } });
      // The README's picture is refreshed on request only, so a test run leaves the tree clean.
      const readmePicture = join(ROOT, 'docs', 'report.png');
      if (!existsSync(readmePicture) || process.env['IDEM_UPDATE_SCREENSHOT'] === '1') copyFileSync(png, readmePicture);

      // The copy button works offline (clipboard API or its fallback) without a console error.
      const copy = page.locator('section.finding:not([hidden]) button.copy').first();
      await copy.click();
      await expect.poll(() => copy.textContent(), { timeout: 3_000, interval: 50 }).toBe('copied');

      expect(opened.consoleErrors).toEqual([]);
      expect(opened.pageErrors).toEqual([]);
      expect(opened.requests).toEqual([opened.url]);
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
        expect(opened.consoleErrors).toEqual([]);
        expect(opened.pageErrors).toEqual([]);
        expect(opened.requests).toEqual([opened.url]);
        for (const f of result.findings)
          expect(await page.locator(`section.finding[data-fingerprint="${f.fingerprint}"]`).count()).toBe(1);
      } finally {
        await opened.close();
      }
    } finally {
      await server.close();
    }
  }, 120_000);
});
