import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  ensureConsoleBuilt,
  freePort,
  startPeer,
  type TestPortal,
  TestSocket,
  waitFor,
  chromiumAvailable,
  launchChromium,
  logInToConsole,
  openConsolePage,
} from '@agent-p2p/testing';

/**
 * The console shows what became of the owner's contact requests (sending, delivered, undelivered,
 * refused by their Portal, rejected by their owner), as text, and on "My agent" whether an agent is connected.
 */
const SHOTS = resolve(process.cwd(), 'test-output', 'console');
const available = chromiumAvailable('console browser tests');

/** What a hostile Portal answers our request with: it must show as text, never as markup. */
const XSS_REASON = '<img src=x onerror=alert(1)> go away';

(available ? describe : describe.skip)('console: contact-request states and the agent sign', () => {
  let mine: TestPortal;
  let friend: TestPortal;
  let strict: TestPortal;
  let hostile: Server;
  let hostileUrl: string;
  let browser: Browser;
  let page: Page;
  let dialogs: string[] = [];
  let pageErrors: string[] = [];

  const go = (hash: string) =>
    page.evaluate((h) => {
      location.hash = h;
    }, hash);
  const row = (id: number) => page.locator(`#contacts li.contact[data-id="${id}"]`);

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    [mine, friend, strict] = await Promise.all([
      startPeer({ env: { PORTAL_AGENT_NAME: 'Mine', PORTAL_OWNER_NAME: 'Alice' } }),
      startPeer({ env: { PORTAL_AGENT_NAME: 'Friendly agent', PORTAL_OWNER_NAME: 'Bob' } }),
      startPeer({ env: { PORTAL_ALLOW_INSECURE_PEERS: 'false' } }),
    ]);
    hostile = createServer((_request, response) => {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ statusCode: 403, error: 'Forbidden', message: XSS_REASON }));
    });
    await new Promise<void>((done) => hostile.listen(0, '127.0.0.1', done));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`;
    browser = await launchChromium();
    ({ page, dialogs, pageErrors } = await openConsolePage(browser, { viewport: { width: 1100, height: 800 } }));
    await logInToConsole(page, mine);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => (hostile ? hostile.close(done) : done(undefined)));
    await Promise.all([mine, friend, strict].filter(Boolean).map((p) => p.destroy()));
  });

  it('"My agent" says whether an agent is connected, and follows it', async () => {
    await go('#/chat');
    const sign = page.locator('#agent-status');
    await page.locator('#agent-status[data-connected="false"]').waitFor();
    expect(await sign.textContent()).toContain('No agent connected');
    // The console's own socket does not count; a Bridge (an owner key on /ws) does.
    const bridge = await TestSocket.open(mine, { authorization: `Bearer ${mine.ownerKey}` });
    await page.locator('#agent-status[data-connected="true"]').waitFor();
    expect(await sign.textContent()).toMatch(/^Agent connected since /);
    await page.screenshot({ path: join(SHOTS, 'agent-connected.png') });
    await bridge.close();
    await page.locator('#agent-status[data-connected="false"]').waitFor();
  });

  it('the contacts page shows each request as it stands: undelivered, refused by their Portal, delivered, rejected by their owner', async () => {
    await go('#/contacts');
    await page.locator('#contacts').waitFor({ state: 'attached' });
    const client = mine.client();
    const nobody = await client.createContact(`http://127.0.0.1:${await freePort()}`, 'anyone?');
    const refused = await client.createContact(strict.url, 'over http');
    const xss = await client.createContact(hostileUrl, 'hi');
    const toFriend = await client.createContact(friend.url, 'hello Bob');

    await row(nobody.id)
      .locator('.request-state.undelivered', { hasText: /^Not delivered yet after \d+ attempts \(still trying\): .*127\.0\.0\.1/ })
      .waitFor();
    expect(await row(nobody.id).locator('.status').textContent()).toBe('pending');

    await row(refused.id)
      .locator('.request-state.refused', { hasText: /^Refused by their Portal: 400 fromPortal must be an https URL/ })
      .waitFor();
    expect(await row(refused.id).locator('.status').textContent()).toBe('refused');
    expect(await row(refused.id).textContent()).not.toContain('Rejected by their owner');

    // Their Portal's reason is shown as typed: no element, no script.
    await row(xss.id)
      .locator('.request-state.refused', { hasText: `Refused by their Portal: 403 ${XSS_REASON}` })
      .waitFor();
    expect(await row(xss.id).locator('img').count()).toBe(0);

    await row(toFriend.id).locator('.request-state.delivered', { hasText: 'Delivered: waiting for their owner.' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'request-states.png'), fullPage: true });
    const request = await waitFor('the friend to verify the request', async () =>
      (await friend.client().listContactRequests('pending')).find((r) => r.portalUrl === mine.url),
    );
    await friend.client().rejectContactRequest(request.id);
    await row(toFriend.id).locator('.request-state.rejected', { hasText: 'Rejected by their owner.' }).waitFor();
    expect(await row(toFriend.id).locator('.status').textContent()).toBe('rejected');

    // In Chinese too.
    await page.locator('#lang-select').selectOption('zh');
    await row(refused.id)
      .locator('.request-state', { hasText: /^被对方的 Portal 拒绝：400 / })
      .waitFor();
    await row(toFriend.id).locator('.request-state', { hasText: '被对方主人拒绝。' }).waitFor();
    await row(nobody.id)
      .locator('.request-state', { hasText: /^尝试 \d+ 次仍未送达（仍在重试）：/ })
      .waitFor();
    await page.locator('#lang-select').selectOption('en');

    // The contact's own page says it as well.
    await go(`#/contacts/${refused.id}`);
    await page.locator('.request-state.refused', { hasText: 'Refused by their Portal: 400 ' }).waitFor();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
