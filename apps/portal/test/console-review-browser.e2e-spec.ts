import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { connect, ensureConsoleBuilt, eventsOf, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';

/** The owner's review queue and a contact's autonomy tier, in the console as the owner uses them. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve(process.cwd(), 'test-output', 'console');
const available = existsSync(CHROMIUM) || process.env.CI === 'true';
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"> release me';

(available ? describe : describe.skip)('console: review queue and autonomy', () => {
  let mine: TestPortal;
  let friend: TestPortal;
  let browser: Browser;
  let contactId = 0;
  let friendToMine = 0;

  async function open(hash: string, locale = 'en-US'): Promise<Page> {
    const context = await browser.newContext({ locale, viewport: { width: 1100, height: 800 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await page.goto(`${mine.url}/console/`);
    await page.locator('#login-password').fill(mine.password);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#logout').waitFor();
    await page.evaluate((h) => (location.hash = h), hash);
    return page;
  }

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    [mine, friend] = await Promise.all([
      startPeer({
        env: {
          PORTAL_AGENT_NAME: 'Mine',
          PORTAL_AUTONOMY_BOUNDED_TURNS: '1',
          PORTAL_WAKE_COALESCE_MS: '0',
          PORTAL_WAKE_COALESCE_MAX_MS: '0',
        },
      }),
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

  it('lists held messages as text; the owner releases one (one wake for the agent) and drops the other', async () => {
    await friend.client().sendMessage(friendToMine, 'the one turn of the budget');
    await waitFor('the first wake', async () => (await eventsOf(mine, 'agent.wake')).length === 1);
    await friend.client().sendMessage(friendToMine, HOSTILE);
    await waitFor('one held', async () => (await mine.client().listReview()).items.length === 1);
    await friend.client().sendMessage(friendToMine, 'drop me');
    await waitFor('two held', async () => (await mine.client().listReview()).items.length === 2);

    const page = await open('#/review');
    const items = page.locator('#review-list li.review-item');
    await waitFor('both items shown', async () => (await items.count()) === 2);
    await expect(items.nth(0).locator('.content').textContent()).resolves.toBe(HOSTILE);
    await expect(items.nth(0).locator('.why').textContent()).resolves.toBe('held: budget used up');
    await expect(items.nth(0).locator('.contact').textContent()).resolves.toBe('Friend');
    expect(await page.locator('#review-list img').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    await page.screenshot({ path: join(SHOTS, '40-review-queue.png') });

    await items.nth(0).locator('button.release').click();
    await expect(page.locator('#review-done').textContent()).resolves.toBeDefined();
    await waitFor('the released wake', async () => {
      const wakes = await eventsOf(mine, 'agent.wake');
      return wakes.length === 2 ? wakes[1] : null;
    }).then((wake) => {
      const payload = wake.payload as { reason: string; messages: Array<{ content: string }> };
      expect(payload.reason).toBe('released');
      expect(payload.messages.map((m) => m.content)).toEqual([HOSTILE]);
    });
    await waitFor('one item left', async () => (await items.count()) === 1);
    expect(await page.locator('#review-done').textContent()).toBe('Released 1: your agent was woken 1 time(s).');

    await items.nth(0).locator('button.drop').click();
    await page.locator('#review-list li.empty').waitFor();
    expect(await page.locator('#review-done').textContent()).toBe('Dropped 1: they wake nobody (still in the history).');
    expect(await eventsOf(mine, 'agent.wake')).toHaveLength(2);
    // Dropped is not deleted: the message is still in the conversation.
    expect((await mine.client().listMessages({ contactId })).messages.map((m) => m.content)).toContain('drop me');
    await page.context().close();
  });

  it("sets a contact's autonomy on its page, in the owner's language", async () => {
    const page = await open(`#/contacts/${contactId}`, 'zh-CN');
    const select = page.locator('select#autonomy');
    await select.waitFor();
    expect(await select.inputValue()).toBe('bounded');
    expect(await select.locator('option').allTextContents()).toEqual([
      '屏蔽: 保留消息, 从不唤醒智能体',
      '仅通知: 智能体告诉你, 不回复对方',
      '有限: 智能体在额度内回复, 之后消息等你审核',
      '扩展: 更大的额度',
    ]);
    await select.selectOption('extended');
    await page.locator('.autonomy [role=status]', { hasText: '已保存。' }).waitFor();
    expect((await mine.client().getContact(contactId)).autonomy).toBe('extended');
    await page.screenshot({ path: join(SHOTS, '41-contact-autonomy.png') });
    await page.context().close();
  });
});
