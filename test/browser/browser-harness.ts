/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core, with every console
 * error and page error collected so that a test can assert there were none, and screenshots written to
 * artifacts/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['SLUICE_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(process.cwd(), 'artifacts', 'screenshots');

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-quic',
];

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors seen so far (text, with the page URL). */
  errors: string[];
  screenshot(name: string): Promise<string>;
  setViewport(width: number, height: number): Promise<void>;
  close(): Promise<void>;
}

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

export async function openBrowser(baseUrl: string, viewport = { width: 1280, height: 800 }): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${page.url()})`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message} (${page.url()})`));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    browser, context, page, errors,
    async screenshot(name: string): Promise<string> {
      const file = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async setViewport(width: number, height: number): Promise<void> {
      await page.setViewportSize({ width, height });
    },
    async close(): Promise<void> {
      await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}
