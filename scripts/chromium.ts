/**
 * Headless Chromium for the report tests and `npm run screenshots`: Debian's /usr/bin/chromium
 * driven by playwright-core (which downloads no browser of its own), with a fresh profile and every
 * background network feature off, so a page can only show what is in its file.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Where Chromium is; IMSPEC_CHROMIUM overrides it. */
export const CHROMIUM_PATH = process.env['IMSPEC_CHROMIUM'] ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  /** A new page that records console errors and uncaught exceptions in `errors`. */
  page(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: run .ci/run (or apt-get install chromium) to install it`);
  }
  const profile = await mkdtemp(join(tmpdir(), 'imspec-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport,
  });
  return {
    context,
    async page() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      // Nothing may leave the page: any request other than the file itself is an error.
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) errors.push(`network request: ${r.url()}`);
      });
      return { page, errors };
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the report page has drawn view number `n` (main.ts sets body[data-view]). */
export async function waitForView(page: Page, n: number): Promise<void> {
  // A string: this runs in the page, and Node's type-check has no DOM.
  await page.waitForFunction(`Number((document.body.dataset.view ?? '0').split(':')[0]) >= ${n}`);
}
