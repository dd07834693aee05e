import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { connect, ensureConsoleBuilt, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
/** How the console looks and reads to its owner: scrolling, hostile text, small screens, errors. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve(process.cwd(), 'test-output', 'console');
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

/** U+202E (right-to-left override) would show "gpj.exe" as "exe.jpg" if applied. */
const BIDI_MESSAGE = 'invoice\u202Egpj.exe please open';

(available ? describe : describe.skip)('console views in a browser', () => {
  let mine: TestPortal;
  let friend: TestPortal;
  let browser: Browser;
  let contactId = 0;
  let friendToMine = 0;

  async function open(options: { locale?: string; width?: number; height?: number } = {}): Promise<Page> {
    const context = await browser.newContext({
      locale: options.locale ?? 'en-US',
      viewport: { width: options.width ?? 1100, height: options.height ?? 700 },
    });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await page.goto(`${mine.url}/console/`);
    await page.locator('#login-password').fill(mine.password);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#logout').waitFor();
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

  /** The newest bubble ends above the sticky composer (it is not hidden behind it). */
  async function newestVisible(page: Page, text: string): Promise<void> {
    const bubble = page.locator('#conversation li', { hasText: text });
    await bubble.waitFor();
    await waitFor(
      'the newest message to be scrolled into view',
      async () => {
        const [box, composer] = await Promise.all([bubble.boundingBox(), page.locator('form.composer').boundingBox()]);
        return Boolean(box && composer && box.y >= 0 && box.y + box.height <= composer.y + 1);
      },
      5_000,
    );
  }

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    [mine, friend] = await Promise.all([
      startPeer({ env: { PORTAL_AGENT_NAME: 'Mine' } }),
      startPeer({ env: { PORTAL_AGENT_NAME: 'Friend' } }),
    ]);
    ({ aContactId: contactId, bContactId: friendToMine } = await connect(mine, friend));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([mine, friend].filter(Boolean).map((p) => p.destroy()));
  });

  it('shows the newest message above the composer, on opening and when one arrives live', async () => {
    for (let i = 1; i <= 25; i += 1) await friend.client().sendMessage(friendToMine, `line ${i}\nsecond line of ${i}`);
    await waitFor('all messages on my Portal', async () => (await mine.client().listMessages({ contactId })).messages.length === 25);
    const page = await open({ height: 600 });
    await page.evaluate((id) => (location.hash = `#/contacts/${id}`), contactId);
    await newestVisible(page, 'line 25');
    await friend.client().sendMessage(friendToMine, 'the live one');
    await newestVisible(page, 'the live one');
    await page.locator('textarea.compose-input').fill('my answer');
    await page.locator('.composer button[type=submit]').click();
    await newestVisible(page, 'my answer');
    await shot(page, '20-newest-message-visible');
    await page.context().close();
  });

  it('shows bidi controls in peer text instead of applying them', async () => {
    await friend.client().sendMessage(friendToMine, BIDI_MESSAGE);
    const page = await open();
    await page.evaluate((id) => (location.hash = `#/contacts/${id}`), contactId);
    const bubble = page.locator('#conversation li', { hasText: 'invoice' });
    await bubble.waitFor();
    const text = (await bubble.locator('.text').textContent()) ?? '';
    expect(text).toBe('invoice⟨U+202E⟩gpj.exe please open');
    expect(text).not.toContain('\u202E');
    await page.context().close();
  });

  it('an unknown contact page says so in the owner language, with no composer', async () => {
    const page = await open({ locale: 'zh-CN' });
    await page.evaluate(() => (location.hash = '#/contacts/9999'));
    await page.locator('#not-found').waitFor();
    expect(await page.locator('#not-found').textContent()).toBe('找不到联系人');
    expect(await page.locator('main .error').textContent()).toContain('#9999');
    expect(await page.locator('form.composer').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toMatch(/No contact with id/);
    await shot(page, '21-unknown-contact');
    await page.context().close();
  });

  it('keeps every navigation link on screen at 390 px', async () => {
    const page = await open({ width: 390, height: 800 });
    const links = page.locator('header nav a');
    expect(await links.count()).toBe(6);
    for (const link of await links.all()) {
      const box = await link.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, '22-mobile-nav');
    await page.context().close();
  });

  it('says how long to wait after too many login attempts in minutes, not thousands of seconds', async () => {
    const limited = await startPeer();
    const context = await browser.newContext({ locale: 'en-US' });
    try {
      const page = await context.newPage();
      await page.goto(`${limited.url}/console/`);
      for (let attempt = 0; attempt < 40; attempt += 1) {
        await page.locator('#login-password').fill(`wrong password ${attempt}`);
        await page.locator('#login-form button[type=submit]').click();
        const error = page.locator('#login-form .error');
        await error.waitFor();
        const text = (await error.textContent()) ?? '';
        if (text !== 'Wrong password.') {
          expect(text).toMatch(/^Too many requests\. Try again in (\d+ min|\d+ h( \d+ min)?|\d+ s)\.$/);
          return;
        }
        await page.evaluate(() => {
          const line = document.querySelector('#login-form .error') as HTMLElement | null;
          if (line) line.hidden = true;
        });
      }
      throw new Error('the login was never rate-limited');
    } finally {
      await context.close();
      await limited.destroy();
    }
  });

  it('serves a favicon', async () => {
    const response = await fetch(`${mine.url}/favicon.ico`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await response.text()).toContain('<svg');
  });
});
