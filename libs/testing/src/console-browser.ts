import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { TestPortal } from './test-portal';

/** Debian's Chromium (apt-get install chromium), or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Browser tests run where Chromium is installed, and always in CI (where its absence must fail). */
export function chromiumAvailable(suite: string): boolean {
  const available = existsSync(CHROMIUM) || process.env.CI === 'true';
  if (!available) process.stdout.write(`${suite} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);
  return available;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A page of its own context that records dialogs (dismissing them) and page errors, for the test to assert on. */
export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  pageErrors: string[];
}

export async function openConsolePage(
  browser: Browser,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? { width: 1100, height: 800 },
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { context, page, dialogs, pageErrors };
}

/** Opens the portal's console and logs in with its password, as its owner would. */
export async function logInToConsole(page: Page, portal: TestPortal): Promise<void> {
  await page.goto(`${portal.url}/console/`);
  await page.locator('#login-password').fill(portal.password);
  await page.locator('#login-form button[type=submit]').click();
  await page.locator('#logout').waitFor();
}
