import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import {
  connect,
  Contact,
  ensureConsoleBuilt,
  startPeer,
  type TestPortal,
  testIdentity,
  waitFor,
  chromiumAvailable,
  launchChromium,
  logInToConsole,
  openConsolePage,
} from '@agent-p2p/testing';

/**
 * Identity keys in the console: Settings shows this Portal's fingerprint and rotates it; a contact's
 * page shows the pinned fingerprint and the compared mark; an unannounced key change shows a banner
 * on every page and is re-pinned by the owner; their Portal's reasons show as text.
 */
const SHOTS = resolve(process.cwd(), 'test-output', 'console');
const available = chromiumAvailable('console browser tests');

const XSS_REASON = 'identity_changed: <img src=x onerror=alert(1)> not you';

(available ? describe : describe.skip)('console: identity keys', () => {
  let a: TestPortal;
  let b: TestPortal;
  let browser: Browser;
  /** B's console (B is the side that sees A's key change). */
  let page: Page;
  let aContactId = 0;
  let bContactId = 0;
  let dialogs: string[] = [];
  let pageErrors: string[] = [];
  const go = (hash: string) =>
    page.evaluate((h) => {
      location.hash = h;
    }, hash);
  const text = async (selector: string) => (await page.locator(selector).textContent())?.trim();

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    [a, b] = await Promise.all([
      startPeer({ env: { PORTAL_AGENT_NAME: 'Alice agent', PORTAL_OWNER_NAME: 'Alice' } }),
      startPeer({ env: { PORTAL_AGENT_NAME: 'Bob agent', PORTAL_OWNER_NAME: 'Bob' } }),
    ]);
    ({ aContactId, bContactId } = await connect(a, b));
    browser = await launchChromium();
    ({ page, dialogs, pageErrors } = await openConsolePage(browser, { viewport: { width: 1100, height: 900 } }));
    await logInToConsole(page, b);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a, b].filter(Boolean).map((p) => p.destroy()));
  });

  it("Settings shows this Portal's fingerprint as /api/me has it; rotating it (after a confirm step) changes it", async () => {
    await go('#/settings');
    const before = (await b.client().getMe()).identity;
    await page.locator(`#my-fingerprint[data-fingerprint="${before.fingerprint}"]`).waitFor();
    expect(await text('#my-fingerprint')).toBe(before.fingerprint);
    expect(await text('#my-key-id')).toBe(before.keyId);
    expect(await page.locator('#my-key-source').getAttribute('data-source')).toBe('generated');

    // The first click only asks; cancel leaves the key alone.
    await page.locator('#rotate-identity').click();
    await page.locator('#rotate-confirm').waitFor();
    await page.locator('#rotate-identity-no').click();
    await page.locator('#rotate-confirm').waitFor({ state: 'hidden' });
    expect((await b.client().getMe()).identity.keyId).toBe(before.keyId);

    await page.locator('#rotate-identity').click();
    await page.locator('#rotate-identity-yes').click();
    await page.locator('#identity-rotated').waitFor();
    const after = (await b.client().getMe()).identity;
    expect(after.fingerprint).not.toBe(before.fingerprint);
    await page.locator(`#my-fingerprint[data-fingerprint="${after.fingerprint}"]`).waitFor();
    expect(await text('#identity-rotated')).toBe(`Rotated: ${before.fingerprint} → ${after.fingerprint}. 1 contact(s) told.`);
    await page.screenshot({ path: join(SHOTS, 'identity-settings.png'), fullPage: true });
    // A follows the rotation: it pins B's new key.
    await waitFor('A to pin B’s new key', async () => (await a.client().getContact(aContactId)).identity.fingerprint === after.fingerprint);
  });

  it("a contact's page shows its pinned fingerprint; marking it compared and unmarking work", async () => {
    const aIdentity = (await a.client().getMe()).identity;
    await go(`#/contacts/${bContactId}`);
    await page.locator(`#peer-fingerprint[data-fingerprint="${aIdentity.fingerprint}"]`).waitFor();
    expect(await text('#peer-fingerprint')).toBe(aIdentity.fingerprint);
    await page.locator('#compared-state[data-compared="false"]').waitFor();
    expect(await text('#compared-toggle')).toBe('Mark as compared');

    await page.locator('#compared-toggle').click();
    await page.locator('#compared-state[data-compared="true"]').waitFor();
    expect(await text('#compared-state')).toMatch(/^✓ Compared with their owner \(/);
    expect((await b.client().getContact(bContactId)).identity.compared).toBe(true);

    await page.locator('#compared-toggle', { hasText: 'Unmark' }).click();
    await page.locator('#compared-state[data-compared="false"]').waitFor();
    expect((await b.client().getContact(bContactId)).identity.compared).toBe(false);
    expect(await page.locator('#identity-banner').isHidden()).toBe(true);
  });

  it('a changed key: a banner on every page, both fingerprints, and the re-pin (a wrong fingerprint is refused with the 409)', async () => {
    // B pinned a key A never had, and A now presents its real one: what an unannounced change looks like.
    const old = testIdentity().identity;
    const aIdentity = (await a.client().getMe()).identity;
    await b.app.get(DataSource).getRepository(Contact).update(
      { id: bContactId },
      {
        peerKeyState: 'changed',
        peerKeyId: old.keyId,
        peerPublicKey: old.publicKey,
        presentedKeyId: aIdentity.keyId,
        presentedPublicKey: aIdentity.publicKey,
        peerKeyChangedAt: new Date(),
        peerKeyComparedAt: null,
      },
    );
    await go('#/chat');
    const banner = page.locator('#identity-banner');
    await banner.locator(`li[data-id="${bContactId}"] a.changed`).waitFor();
    expect(await banner.textContent()).toContain('Alice agent: its identity key changed — compare and re-pin');
    await go('#/files');
    await banner.locator(`li[data-id="${bContactId}"] a.changed`).waitFor();
    await banner.locator('a.changed').click();

    await page.locator('#peer-identity[data-state="changed"]').waitFor();
    expect(await text('#pinned-fingerprint')).toBe(old.fingerprint);
    expect(await text('#presented-fingerprint')).toBe(aIdentity.fingerprint);
    expect(await page.locator('#repin-fingerprint').inputValue()).toBe(aIdentity.fingerprint);
    await page.screenshot({ path: join(SHOTS, 'identity-changed.png'), fullPage: true });

    // Another fingerprint than the one presented: the Portal's 409 is shown, nothing is pinned.
    await page.locator('#repin-fingerprint').fill(old.fingerprint);
    await page.locator('#repin-form button[type=submit]').click();
    await page
      .locator('#peer-identity .error', { hasText: `presents the fingerprint ${aIdentity.fingerprint}, not the one confirmed` })
      .waitFor();
    expect((await b.client().getContact(bContactId)).identity.state).toBe('changed');

    // The one presented (the 409 put it back in the field): pinned, compared, the banner goes.
    expect(await page.locator('#repin-fingerprint').inputValue()).toBe(aIdentity.fingerprint);
    await page.locator('#repin-form button[type=submit]').click();
    await page.locator(`#peer-fingerprint[data-fingerprint="${aIdentity.fingerprint}"]`).waitFor();
    await page.locator('#compared-state[data-compared="true"]').waitFor();
    await banner.waitFor({ state: 'hidden' });
    const repinned = (await b.client().getContact(bContactId)).identity;
    expect(repinned).toMatchObject({ state: 'pinned', fingerprint: aIdentity.fingerprint, compared: true });
  });

  it('their Portal refusing ours: the banner and the contact page say so, their reason as text, with our fingerprint', async () => {
    await b.app
      .get(DataSource)
      .getRepository(Contact)
      .update({ id: bContactId }, { refusedByPeer: XSS_REASON, refusedByPeerAt: new Date() });
    await go('#/contacts');
    const banner = page.locator('#identity-banner');
    await banner.locator(`li[data-id="${bContactId}"] a.refused`).waitFor();
    expect(await banner.textContent()).toContain('Alice agent: their Portal refuses our identity key');
    await go(`#/contacts/${bContactId}`);
    await page.locator('#refused-by-peer').waitFor();
    expect(await text('#refused-by-peer')).toContain(`: ${XSS_REASON}`);
    expect(await page.locator('#peer-identity img').count()).toBe(0);
    const ours = (await b.client().getMe()).identity.fingerprint;
    await page.locator('#refused-hint', { hasText: ours }).waitFor();

    // In Chinese too.
    await page.locator('#lang-select').selectOption('zh');
    await page.locator('#refused-by-peer', { hasText: '对方的 Portal 拒绝我们的签名调用' }).waitFor();
    await banner.locator('a.refused', { hasText: '对方的 Portal 拒绝我们的身份密钥' }).waitFor();
    await page.locator('#lang-select').selectOption('en');
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
