/**
 * Opens a local file in Debian's headless Chromium (driven by playwright-core, no downloaded
 * browser) with everything that could reach the network switched off, and records what the page
 * did: console errors, uncaught exceptions and every request it tried to make.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export interface OpenedPage {
  page: Page;
  url: string;
  consoleErrors: string[];
  pageErrors: string[];
  requests: string[];
  close(): Promise<void>;
}

export async function openFile(file: string): Promise<OpenedPage> {
  const profile = mkdtempSync(join(tmpdir(), 'idem-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const url = pathToFileURL(file).href;
    const opened: OpenedPage = {
      page,
      url,
      consoleErrors: [],
      pageErrors: [],
      requests: [],
      close: async () => {
        await context?.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
    page.on('console', (m) => {
      if (m.type() === 'error') opened.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => opened.pageErrors.push(e.message));
    page.on('request', (r) => opened.requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });
    return opened;
  } catch (err) {
    await context?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
