import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { TestPortal } from '@agent-p2p/testing';
/** Swagger UI on /docs in headless Chromium, under the Portal's Content-Security-Policy. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!available) process.stdout.write(`docs browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

(available ? describe : describe.skip)('/docs in a browser', () => {
  let portal: TestPortal;
  let browser: Browser;
  beforeAll(async () => {
    portal = await TestPortal.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await portal?.destroy();
  });

  it.each(['/docs', '/docs/', '/docs/index.html'])(
    '%s renders Swagger UI with every operation, with no CSP violation, failed asset or script error',
    async (path) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`error: ${error.message}`));
      page.on('response', (response) => {
        if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
      });
      try {
        const response = await page.goto(`${portal.url}${path}`);
        expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
        await page.locator('.swagger-ui .info .title', { hasText: 'Agent P2P Portal API' }).waitFor({ timeout: 15_000 });
        await page.locator('.opblock-summary-path', { hasText: '/api/session' }).first().waitFor({ timeout: 15_000 });
        expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
        // The stylesheet applied (it is an asset of its own).
        expect(await page.locator('.swagger-ui .info .title').evaluate((el) => getComputedStyle(el).fontSize)).not.toBe('16px');
        // "Try it out" reaches the Portal itself.
        await page.locator('#operations-health-getHealth .opblock-summary').click();
        await page.locator('#operations-health-getHealth .try-out__btn').click();
        await page.locator('#operations-health-getHealth .execute').click();
        await page
          .locator('#operations-health-getHealth .responses-table .response-col_status', { hasText: '200' })
          .first()
          .waitFor({ timeout: 15_000 });
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});
