import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DataSource, In } from 'typeorm';
import { ContactRequest } from '../src/contacts/entities/contact-request.entity';
import { addActiveContact, ensureConsoleBuilt, FakePeer, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
/**
 * The console in headless Chromium against real Portals: the owner of `mine` works in the browser,
 * `friend` and `evil` are other Portals driven through the SDK.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve(process.cwd(), 'test-output', 'console');
const available = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!available) process.stdout.write(`console browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)\n`);

const XSS_NAME = '<img src=x onerror=alert(1)>';
const XSS_OWNER = '<script>alert(2)</script>';
const XSS_FILE_NAME = '<img src=x onerror=alert(1)>.txt';
/** Survives the Portal's file-name sanitising (no <>:"|?* or slashes): would turn into markup if parsed as HTML. */
const XSS_FILE_NAME_KEPT = "&lt;img src=x onerror=alert(2)&gt; 'x' onfocus=alert(3).txt";
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const XSS_MESSAGES = ['<script>alert(3)</script>', '<img src=x onerror=alert(4)>', '"><svg onload=alert(5)>', '<b>bold?</b> & &amp;'];

(available ? describe : describe.skip)('console in a browser', () => {
  let mine: TestPortal;
  let friend: TestPortal;
  let evil: TestPortal;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** alert/prompt dialogs (what injected script would open): there must be none. */
  const dialogs: string[] = [];
  /** confirm() questions the console asks before deleting: accepted. */
  const confirms: string[] = [];
  const pageErrors: string[] = [];
  let friendContactId = 0;

  const shot = (name: string, target: Page = page) => target.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const go = async (hash: string) => {
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
  };

  async function newPage(ctx: BrowserContext): Promise<Page> {
    const p = await ctx.newPage();
    p.on('dialog', (dialog) => {
      if (dialog.type() === 'confirm') {
        confirms.push(dialog.message());
        void dialog.accept();
        return;
      }
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    p.on('pageerror', (error) => pageErrors.push(error.message));
    return p;
  }

  async function login(target: Page, password: string): Promise<void> {
    await target.goto(`${mine.url}/console/`);
    await target.locator('#login-password').fill(password);
    await target.locator('#login-form button[type=submit]').click();
    await target.locator('#logout').waitFor();
  }

  beforeAll(async () => {
    ensureConsoleBuilt();
    mkdirSync(SHOTS, { recursive: true });
    [mine, friend, evil] = await Promise.all([
      // Quick heartbeats: an ended session's socket is closed (4401) at the next one.
      startPeer({ env: { PORTAL_AGENT_NAME: 'Mine', PORTAL_OWNER_NAME: 'Alice', PORTAL_WS_HEARTBEAT_SECONDS: '1' } }),
      startPeer({ env: { PORTAL_AGENT_NAME: 'Friendly agent', PORTAL_OWNER_NAME: 'Bob' } }),
      startPeer({ env: { PORTAL_AGENT_NAME: XSS_NAME, PORTAL_OWNER_NAME: XSS_OWNER } }),
    ]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 800 } });
    context.setDefaultTimeout(15_000);
    page = await newPage(context);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([mine, friend, evil].filter(Boolean).map((p) => p.destroy()));
  });

  it('logs in (a wrong password is refused first)', async () => {
    await page.goto(`${mine.url}/console/`);
    await page.locator('#login-form').waitFor();
    await shot('01-login');
    await page.locator('#login-password').fill('wrong password!');
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#login-form .error', { hasText: 'Wrong password.' }).waitFor();
    await login(page, mine.password);
    expect(await page.locator('#live-state').textContent()).toMatch(/live|reconnecting/);
  });

  it('shows a contact request from another Portal, verified, and approves it', async () => {
    await go('#/contacts');
    const request = await friend.client().createContact(mine.url, 'Hello from Bob');
    const row = page.locator('#requests li.request', { hasText: 'Friendly agent' });
    await row.waitFor();
    await row.locator('.badge.ok').waitFor(); // verified (the list refreshes on the live event)
    expect(await row.textContent()).toContain('Hello from Bob');
    expect(await row.textContent()).toContain(friend.url);
    await shot('02-contact-request');
    await row.locator('button.approve').click();
    await waitFor('the friend to see the contact active', async () => (await friend.client().getContact(request.id)).status === 'active');
    const contact = page.locator('#contacts li.contact', { hasText: 'Friendly agent' });
    await contact.locator('.status.active').waitFor();
    friendContactId = Number(await contact.getAttribute('data-id'));
    expect(friendContactId).toBeGreaterThan(0);
    await shot('03-contacts');
  });

  it('chats with its own agent: the agent (owner key) replies and the reply appears live', async () => {
    await go('#/chat');
    await page.locator('#owner-chat').waitFor({ state: 'attached' });
    await page.locator('.compose-input').fill('Please summarise today, 谢谢');
    await page.locator('.composer button[type=submit]').click();
    await page.locator('#owner-chat li.out', { hasText: 'Please summarise today, 谢谢' }).waitFor();
    const agent = mine.client();
    const asked = await waitFor('the agent to see the owner message', async () =>
      (await agent.listOwnerChatMessages()).messages.find((m) => m.role === 'owner' && m.content === 'Please summarise today, 谢谢'),
    );
    expect(asked.role).toBe('owner');
    await agent.postOwnerChatMessage('Two new contacts and one message.');
    await page.locator('#owner-chat li.in', { hasText: 'Two new contacts and one message.' }).waitFor();
    await shot('04-owner-chat');
  });

  it('sees a message from the contact arrive live, sends one and sees it delivered, searches', async () => {
    await go(`#/contacts/${friendContactId}`);
    await page.locator('#conversation').waitFor({ state: 'attached' });
    const friendSide = (await friend.client().listContacts('active')).find((c) => c.portalUrl === mine.url)!;
    await friend.client().sendMessage(friendSide.id, 'Hi Alice, your agent is nice');
    await page.locator('#conversation li.in', { hasText: 'Hi Alice, your agent is nice' }).waitFor();
    await page.locator('.compose-input').fill('Thanks Bob!');
    await page.locator('.composer button[type=submit]').click();
    await page.locator('#conversation li.out', { hasText: 'Thanks Bob!' }).locator('.state.delivered').waitFor();
    await shot('05-conversation');
    await page.locator('#search').fill('nice');
    await page.locator('.search button').click();
    await waitFor('the search result', async () => (await page.locator('#conversation li').count()) === 1);
    expect(await page.locator('#conversation li').textContent()).toContain('your agent is nice');
  });

  it('shows the contact’s receipts as ticks, live, with tooltips in the owner’s language', async () => {
    await go('#/contacts');
    await go(`#/contacts/${friendContactId}`);
    const mineOut = page.locator('#conversation li.out', { hasText: 'Thanks Bob!' }).locator('.state');
    await page.locator('#conversation li.out', { hasText: 'Thanks Bob!' }).locator('.state.delivered').waitFor();
    expect(await mineOut.textContent()).toBe('✓');
    expect(await mineOut.getAttribute('title')).toBe('Delivered: stored by their Portal');
    // Bob's agent is woken with the message (its key acks the agent.wake that carried it): seen.
    const friendSide = (await friend.client().listContacts('active')).find((c) => c.portalUrl === mine.url)!;
    await waitFor('the wake on Bob’s Portal', async () =>
      (await friend.client().listEvents({ after: 0, limit: 1000 })).events.some(
        (e) => e.type === 'agent.wake' && e.payload.messages.some((m) => m.content === 'Thanks Bob!'),
      ),
    );
    await friend.client().ackEvents((await friend.client().listEvents({ after: 0, limit: 1000 })).lastSeq);
    await page.locator('#conversation li.out', { hasText: 'Thanks Bob!' }).locator('.state.stage-seen').waitFor();
    expect(await mineOut.textContent()).toBe('✓✓');
    expect(await mineOut.getAttribute('title')).toBe('Seen: their agent was given it');
    // Bob's agent replies: answered.
    await friend.client().sendMessage(friendSide.id, 'You are welcome');
    await page.locator('#conversation li.out', { hasText: 'Thanks Bob!' }).locator('.state.stage-answered').waitFor();
    expect(await mineOut.textContent()).toBe('↩');
    expect(await mineOut.getAttribute('aria-label')).toBe('Answered: their agent replied');
    await shot('05b-receipts');
    await page.locator('#lang-select').first().selectOption('zh');
    await go('#/contacts');
    await go(`#/contacts/${friendContactId}`);
    await page.locator('#conversation li.out', { hasText: 'Thanks Bob!' }).locator('.state.stage-answered').waitFor();
    expect(await mineOut.getAttribute('title')).toBe('已回复：对方的 agent 已回复');
    await page.locator('#lang-select').first().selectOption('en');
    await page.locator('nav a', { hasText: 'Contacts' }).waitFor();
  });

  it('the homepage shows the agent and takes a guestbook message; the console lists it and marks it read', async () => {
    const visitor = await newPage(context);
    await visitor.goto(`${mine.url}/`);
    // The page fills in the profile after it loads: wait for it rather than read at once.
    await visitor.locator('#agent-name', { hasText: /^Mine$/ }).waitFor();
    await visitor.locator('#portal-url', { hasText: mine.url }).waitFor();
    await visitor.locator('#visitor-name').fill('Carol');
    await visitor.locator('#visitor-message').fill('Nice page <i>really</i>');
    await visitor.locator('#guestbook-form button').click();
    await visitor.locator('#guestbook-result.notice').waitFor();
    await shot('06-homepage', visitor);
    await visitor.close();

    await go('#/guestbook');
    const entry = page.locator('#guestbook li.entry', { hasText: 'Nice page <i>really</i>' });
    await entry.waitFor();
    await entry.locator('button', { hasText: 'Mark read' }).click();
    await page.locator('#guestbook li.entry.read', { hasText: 'Nice page' }).waitFor();
    await shot('07-guestbook');
  });

  it('settings: creates an owner key shown once, switches to Chinese and remembers it', async () => {
    await go('#/settings');
    await page.locator('#key-name').fill('laptop');
    await page.locator('#key-form button').click();
    const secret = await page.locator('#new-key .key-secret').textContent();
    expect(secret).toMatch(/^ap2p_o_/);
    expect((await mine.client(secret!).getMe()).agentName).toBe('Mine');
    await shot('08-settings');
    await page.locator('#lang-select').first().selectOption('zh');
    await page.locator('nav a', { hasText: '联系人' }).waitFor();
    await page.reload();
    await page.locator('nav a', { hasText: '联系人' }).waitFor();
    await shot('09-settings-zh');
    await page.locator('#lang-select').first().selectOption('en');
    await page.locator('nav a', { hasText: 'Contacts' }).waitFor();
  });

  it('renders a hostile contact name and messages as text: nothing executes', async () => {
    const evilContact = await evil.client().createContact(mine.url, XSS_MESSAGES[0]);
    await go('#/contacts');
    const row = page.locator('#requests li.request', { hasText: XSS_NAME });
    await row.waitFor();
    expect(await row.textContent()).toContain(XSS_OWNER);
    await row.locator('button.approve').click();
    await waitFor('evil to be active', async () => (await evil.client().getContact(evilContact.id)).status === 'active');
    const contact = page.locator('#contacts li.contact', { hasText: XSS_NAME });
    await contact.locator('.status.active').waitFor();
    const id = await contact.getAttribute('data-id');
    await go(`#/contacts/${id}`);
    await page.locator('h2', { hasText: XSS_NAME }).waitFor();
    for (const text of XSS_MESSAGES) await evil.client().sendMessage(evilContact.id, text);
    for (const text of XSS_MESSAGES) await page.locator('#conversation li.in .text', { hasText: text }).waitFor();
    await shot('10-hostile-contact');
    const shown = await page.locator('#conversation li.in .text').allTextContents();
    expect(shown).toEqual(XSS_MESSAGES);
    expect(await page.locator('main img, main script, main svg, main b, main i').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('files: a received file appears live and downloads byte for byte; a sent one shows delivered; a hostile name is text; delete', async () => {
    await go('#/files');
    await page.locator('#files li.empty').waitFor(); // loaded, empty: what comes next arrives live
    const friendClient = friend.client();
    const friendSide = (await friendClient.listContacts('active')).find((c) => c.portalUrl === mine.url)!;
    const sendFromFriend = async (name: string, data: Uint8Array): Promise<void> => {
      const upload = await friendClient.createFileUpload({
        contactId: friendSide.id,
        name,
        size: data.length,
        sha256: sha256(data),
        mime: 'text/plain',
      });
      await friendClient.uploadFileChunk(upload.id, 0, data, sha256(data));
    };

    // Received: shows up on file.received, the link downloads it with the session cookie.
    const report = Buffer.from(`Quarterly numbers, 第三季度\n${'0123456789abcdef'.repeat(300)}\n`, 'utf8');
    await sendFromFriend('report 报告.txt', report);
    const row = page.locator('#files li.file.in', { hasText: 'report 报告.txt' });
    await row.locator('a.download').waitFor();
    expect(await row.locator('.sub').textContent()).toContain('Friendly agent');
    expect(await row.locator('.status').textContent()).toBe('received');
    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a.download').click()]);
    expect(download.suggestedFilename()).toBe('report 报告.txt');
    const saved = await download.path();
    expect(Buffer.compare(readFileSync(saved), report)).toBe(0);

    // Sent: listed once the friend's Portal confirmed it (file.delivered); our copy downloads too.
    const outgoing = Buffer.from('from Alice to Bob');
    const upload = await mine
      .client()
      .createFileUpload({ contactId: friendContactId, name: 'notes.md', size: outgoing.length, sha256: sha256(outgoing) });
    await mine.client().uploadFileChunk(upload.id, 0, outgoing, sha256(outgoing));
    const sent = page.locator(`#files li.file.out[data-id="${upload.id}"]`);
    await sent.locator('.status.file-delivered').waitFor();
    await sent.locator('a.download').waitFor();

    // Hostile names: the Portal stores `<img …>` with its angle brackets replaced; the console shows
    // the stored name as text, and markup-like text that survives (entities, quotes) stays as typed.
    await sendFromFriend(XSS_FILE_NAME, Buffer.from('harmless'));
    await sendFromFriend(XSS_FILE_NAME_KEPT, Buffer.from('harmless too'));
    const stored = await waitFor('both hostile files on this Portal', async () => {
      const files = (await mine.client().listFiles({ direction: 'in' })).filter((f) => f.name.includes('onerror'));
      return files.length === 2 && files.every((f) => f.status === 'received') ? files : undefined;
    });
    const storedNames = stored.map((f) => f.name).sort();
    expect(storedNames).toEqual([XSS_FILE_NAME_KEPT, '_img src=x onerror=alert(1)_.txt'].sort());
    for (const file of stored) await page.locator(`#files li.file[data-id="${file.id}"] a.download`).waitFor();
    const shownNames = await page.locator('#files li.file.in .name').allTextContents();
    for (const name of storedNames) expect(shownNames).toContain(name);
    expect(await page.locator('main img, main script, main svg').count()).toBe(0);
    const hostile = page.locator(`#files li.file[data-id="${stored.find((f) => f.name.startsWith('_img'))!.id}"]`);
    await shot('11-files');

    // The conversation links to the files exchanged with that contact.
    await go(`#/contacts/${friendContactId}`);
    await page.locator('#contact-files').click();
    await page.locator('#files li.file', { hasText: 'report 报告.txt' }).waitFor();
    expect(await page.locator('#files li.file').count()).toBe(4);

    // Delete (after a confirm): gone from the page and from the Portal.
    const hostileId = (await hostile.getAttribute('data-id'))!;
    await hostile.locator('button.delete').click();
    await hostile.waitFor({ state: 'detached' });
    expect(confirms).toEqual(['Delete this file?']);
    expect((await mine.client().listFiles()).map((f) => f.id)).not.toContain(hostileId);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('chat attachments: the owner attaches files for the agent, the agent answers with one, the owner downloads it', async () => {
    await go('#/chat');
    await page.locator('#owner-chat').waitFor({ state: 'attached' });
    // Two files: one bigger than a chunk (8 MiB), so it goes up in two verified chunks.
    const plan = Buffer.from('Plan 计划: ship it\n', 'utf8');
    const data = Buffer.alloc(9 * 1024 * 1024 + 321);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 10)) & 0xff;
    await page.locator('#chat-files').setInputFiles([
      { name: 'plan 计划.txt', mimeType: 'text/plain', buffer: plan },
      { name: 'data.bin', mimeType: 'application/octet-stream', buffer: data },
    ]);
    expect(await page.locator('#chat-chosen li .name').allTextContents()).toEqual(['plan 计划.txt', 'data.bin']);
    await page.locator('.compose-input').fill('Please read these');
    await page.locator('.composer button[type=submit]').click();
    const asked = page.locator('#owner-chat li.out', { hasText: 'Please read these' });
    await asked.locator('.attachments a', { hasText: 'data.bin' }).waitFor();
    expect(await asked.locator('.attachments a').allTextContents()).toEqual(['plan 计划.txt', 'data.bin']);
    expect(await page.locator('#chat-chosen li').count()).toBe(0);

    // The agent gets both, byte for byte.
    const agent = mine.client();
    const message = await waitFor('the agent to see the attachments', async () =>
      (await agent.listOwnerChatMessages()).messages.find((m) => m.role === 'owner' && m.content === 'Please read these'),
    );
    expect(message.attachments.map((a) => [a.name, a.size, a.mime, a.sha256, a.available])).toEqual([
      ['plan 计划.txt', plan.length, 'text/plain', sha256(plan), true],
      ['data.bin', data.length, 'application/octet-stream', sha256(data), true],
    ]);
    for (const [attachment, bytes] of [
      [message.attachments[0], plan],
      [message.attachments[1], data],
    ] as const) {
      const download = await agent.downloadFile(attachment.fileId);
      expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(bytes));
    }
    const stored = await agent.getFile(message.attachments[1].fileId);
    expect(stored).toMatchObject({ direction: 'local', contactId: null, status: 'stored', chunks: 2 });

    // The agent answers with a file; it appears live and downloads with the session.
    const summary = Buffer.from('Summary: all good, 一切顺利\n', 'utf8');
    const upload = await agent.createFileUpload({
      name: 'summary 总结.txt',
      size: summary.length,
      sha256: sha256(summary),
      mime: 'text/plain',
    });
    await agent.uploadFileChunk(upload.id, 0, summary, sha256(summary));
    await agent.postOwnerChatMessage('Done, see the summary', [upload.id]);
    const answer = page.locator('#owner-chat li.in', { hasText: 'Done, see the summary' });
    const link = answer.locator('.attachments a', { hasText: 'summary 总结.txt' });
    await link.waitFor();
    await shot('15-owner-chat-attachments');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('summary 总结.txt');
    expect(Buffer.compare(readFileSync(await download.path()), summary)).toBe(0);

    // Once the agent deletes it, the message says so instead of offering a broken link.
    await agent.deleteFile(upload.id);
    await page.reload();
    await answer.locator('.attachments .gone', { hasText: 'summary 总结.txt' }).waitFor();
    expect(await answer.locator('.attachments').textContent()).toContain('no longer stored');
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('sends a file to a contact from the console: the contact receives it verified', async () => {
    await go(`#/files/${friendContactId}`);
    await page.locator('#files li.file').first().waitFor();
    const memo = Buffer.from(`Memo for Bob ${'x'.repeat(5000)}`);
    await page.locator('#send-files').setInputFiles([{ name: 'memo 备忘.txt', mimeType: 'text/plain', buffer: memo }]);
    const row = page.locator('#files li.file.out', { hasText: 'memo 备忘.txt' });
    await row.locator('.status.file-delivered').waitFor();
    const atFriend = await waitFor('the friend to receive the memo', async () =>
      (await friend.client().listFiles({ direction: 'in' })).find((f) => f.name === 'memo 备忘.txt' && f.status === 'received'),
    );
    expect(atFriend).toMatchObject({ size: memo.length, sha256: sha256(memo), mime: 'text/plain' });
    await shot('16-send-file');
    expect(pageErrors).toEqual([]);
  });

  it("a file the contact's Portal has no room for shows as waiting, with why, as soon as it is parked", async () => {
    // A contact whose Portal answers every offer 507 over its quota.
    const full = await FakePeer.start(() => ({
      status: 507,
      body: { statusCode: 507, error: 'Insufficient Storage', message: 'over quota', details: { code: 'quota_exceeded' } },
    }));
    try {
      const contactId = await addActiveContact(mine, full.url);
      await go(`#/files/${contactId}`);
      await page.locator('#files li.empty').waitFor();
      await page
        .locator('#send-files')
        .setInputFiles([{ name: 'big.iso', mimeType: 'application/octet-stream', buffer: Buffer.alloc(4096, 1) }]);
      const row = page.locator('#files li.file.out', { hasText: 'big.iso' });
      await row.locator('.status.file-parked').waitFor();
      expect(await row.locator('.status').textContent()).toBe('waiting');
      expect(await row.locator('.sub.parked').textContent()).toBe(
        "waiting: the contact's Portal is out of space for us (its quota is used up); messages go on, the file resumes when there is room",
      );
      await shot('17-file-parked');
      expect(pageErrors).toEqual([]);
    } finally {
      await full.stop();
    }
  });

  it('lists every open contact request, beyond the first page of the API', async () => {
    const repo = mine.app.get(DataSource).getRepository(ContactRequest);
    const now = new Date();
    const rows = Array.from({ length: 205 }, (_, i) =>
      repo.create({
        requestId: crypto.randomUUID(),
        fromPortal: `https://many-${i}.example.test`,
        agentName: `Waiting agent ${i}`,
        ownerName: '',
        message: '',
        status: 'pending',
        verified: true,
        keyHash: sha256(Buffer.from(`key-${i}-${now.getTime()}`)),
        keySealed: null,
        contactId: null,
        createdAt: now,
        updatedAt: now,
      }),
    );
    await repo.save(rows, { chunk: 50 });
    try {
      await go('#/settings');
      await go('#/contacts');
      await page.locator('#requests li.request', { hasText: 'Waiting agent 204' }).waitFor();
      expect(await page.locator('#requests li.request', { hasText: 'Waiting agent' }).count()).toBe(205);
    } finally {
      await repo.delete({ id: In(rows.map((r) => r.id)) });
    }
  });

  it('a password change logs the other session out, which shows the login page', async () => {
    // A phone-sized second session, in Chinese (the browser's language).
    const other = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 780 }, isMobile: true });
    other.setDefaultTimeout(15_000);
    const otherPage = await newPage(other);
    await login(otherPage, mine.password);
    await otherPage.locator('#live-state.on').waitFor();
    await shot('12-other-session-zh', otherPage);

    await go('#/settings');
    await page.locator('#current-password').fill(mine.password);
    await page.locator('#new-password').fill('a brand new password 42');
    await page.locator('#password-form button').click();
    await page.locator('#password-changed').waitFor({ state: 'visible' });
    await shot('13-password-changed');

    await otherPage.locator('#login-notice').waitFor();
    expect(await otherPage.locator('#login-notice').textContent()).toBe('会话已结束，请重新登录。');
    await shot('14-logged-out-elsewhere', otherPage);
    await other.close();

    // This session stays; logging out ends it and the new password works.
    await page.locator('#logout').click();
    await page.locator('#login-form').waitFor();
    await login(page, 'a brand new password 42');
    expect(dialogs).toEqual([]);
  });
});
