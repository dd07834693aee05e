import { createPortalClient, type PortalClient } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Clock } from '@agent-p2p/portal/src/common/clock';
import { GovernanceService } from '@agent-p2p/portal/src/governance/governance.service';
import {
  connect,
  ensureCliBuilt,
  expectFailure,
  expectOk,
  runIn,
  startPeer,
  type TestPortal,
  waitFor,
  WakeHooks,
} from '@agent-p2p/testing';
import { runBridge, type RunningBridge } from '../src/bridge';

const TOKEN = 'hooks-token-for-governance-tests-01';

/** The OpenClaw hooks API as the Bridge sees it: accepts every wake and keeps its text. */
class Hooks extends WakeHooks {
  constructor() {
    super(TOKEN);
  }

  /** Contact wakes only (the handshake's contact.request_received wake is not about a message). */
  messageWakes(): string[] {
    return this.texts.filter((text) => text.includes('新消息来自') || text.includes('通知 ('));
  }
}

const FAST = {
  requestTimeoutMs: 2000,
  retryMinDelayMs: 20,
  retryMaxDelayMs: 200,
  configErrorDelayMs: 300,
  reconnectMinDelayMs: 50,
  reconnectMaxDelayMs: 300,
  heartbeatSeconds: 5,
};

/** Resolves after ms: how long a test gives a wake that must NOT come. */
const quietFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Governance as a user meets it: A's agent writes to B, B runs a real Bridge against a hooks
 * server, and B's owner (console session) and agent (CLI with an owner key) set tiers and review.
 */
describe('governance: tiers, coalescing and review, through a real Bridge', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;
  let hooks: Hooks;
  let bridge: RunningBridge;
  let owner: PortalClient;
  let home: string;
  let stateDir: string;

  const cli = (...args: string[]) => runIn(home, args, { env: { AGENTP2P_HUB_URL: b.url, AGENTP2P_API_KEY: b.ownerKey } });
  const send = async (...texts: string[]) => {
    for (const text of texts) await a.client().sendMessage(aContactId, text);
  };
  const history = async () => (await b.client().listMessages({ contactId: bContactId, limit: 200 })).messages.map((m) => m.content);

  beforeAll(async () => {
    ensureCliBuilt();
    a = await startPeer();
    b = await startPeer({
      env: {
        PORTAL_AUTONOMY_BOUNDED_TURNS: '2',
        PORTAL_AUTONOMY_WINDOW_SECONDS: '3600',
        PORTAL_WAKE_COALESCE_MS: '700',
        PORTAL_WAKE_COALESCE_MAX_MS: '3000',
      },
    });
    ({ aContactId, bContactId } = await connect(a, b));
    owner = createPortalClient({ baseUrl: b.url, session: true, headers: { Cookie: await b.login() } });
    hooks = new Hooks();
    await hooks.start();
    home = mkdtempSync(join(tmpdir(), 'ap2p-gov-home-'));
    stateDir = mkdtempSync(join(tmpdir(), 'ap2p-gov-bridge-'));
    bridge = runBridge({
      hubUrl: b.url,
      apiKey: b.ownerKey,
      gatewayUrl: hooks.url,
      hooksToken: TOKEN,
      wake: 'wake',
      stateDir,
      command: 'agent-p2p',
      log: () => undefined,
      timing: FAST,
    });
  });

  afterAll(async () => {
    await bridge?.stop();
    await hooks?.stop();
    await a?.destroy();
    await b?.destroy();
    rmSync(home, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('bounded: a burst wakes once with all of it; past the budget messages wait; the owner releases them into one wake', async () => {
    const burst = Array.from({ length: 5 }, (_, i) => `burst message ${i + 1}`);
    await send(...burst);
    const first = await waitFor('one wake for the burst', async () => (hooks.messageWakes().length >= 1 ? hooks.messageWakes() : null));
    await quietFor(1500);
    expect(hooks.messageWakes()).toHaveLength(1);
    for (const text of burst) expect(first[0]).toContain(`<<<untrusted ${text} >>>`);
    expect(first[0]).toContain('5 条消息');

    await send('the second turn');
    await waitFor('the second wake', async () => hooks.messageWakes().length === 2);

    // The budget (2 turns per hour) is used up: these wait for the owner, and nothing wakes.
    await send('over budget 1', 'over budget 2');
    await waitFor('both stored on B', async () => (await history()).includes('over budget 2'));
    await quietFor(2500);
    expect(hooks.messageWakes()).toHaveLength(2);

    const listed = await cli('review', 'list');
    expectOk(listed);
    expect(listed.stdout).toContain('held: budget used up');
    expect(listed.stdout).toContain('<<<untrusted over budget 1 >>>');
    expect(listed.stdout).toContain('<<<untrusted over budget 2 >>>');
    // The agent may list, never release.
    expectFailure(await cli('review', 'release', '--contact', String(bContactId)), 1, 'only the owner can release');
    expect((await b.client().listReview()).items).toHaveLength(2);

    expect(await owner.releaseReview({ contactId: bContactId })).toEqual({ count: 2, wakes: 1 });
    await waitFor('the released wake', async () => hooks.messageWakes().length === 3);
    const released = hooks.messageWakes()[2];
    expect(released).toContain('主人放行了');
    expect(released).toContain('<<<untrusted over budget 1 >>>');
    expect(released).toContain('<<<untrusted over budget 2 >>>');
    await quietFor(1000);
    expect(hooks.messageWakes()).toHaveLength(3);
    expect((await b.client().listReview()).items).toEqual([]);
    // Nothing was lost on the way: every message is in B's history, once.
    expect((await history()).filter((text) => text.startsWith('burst') || text.startsWith('over') || text === 'the second turn')).toEqual([
      ...burst,
      'the second turn',
      'over budget 1',
      'over budget 2',
    ]);
  });

  it('notify-only informs without a reply; the agent may lower a tier but not raise it; blocked keeps messages and wakes nobody', async () => {
    expect((await owner.setContactAutonomy(bContactId, 'notify-only')).autonomy).toBe('notify-only');
    const before = hooks.messageWakes().length;
    await send('just so you know');
    await waitFor('the notice', async () => hooks.messageWakes().length === before + 1);
    const notice = hooks.messageWakes()[before];
    expect(notice).toContain('notify-only');
    expect(notice).toContain('<<<untrusted just so you know >>>');
    expect(notice).not.toContain('send --to');

    expectFailure(await cli('contacts', 'autonomy', String(bContactId), 'extended'), 1, 'Only the owner can give contact');
    const lowered = await cli('contacts', 'autonomy', String(bContactId), 'blocked');
    expectOk(lowered);
    expect(lowered.stdout).toContain('is blocked: messages are kept, nothing wakes the agent');
    const shown = await cli('contacts', 'autonomy', String(bContactId));
    expect(shown.stdout).toContain('is blocked');

    await send('you will not hear of this');
    await waitFor('stored on B', async () => (await history()).includes('you will not hear of this'));
    await quietFor(2500);
    expect(hooks.messageWakes()).toHaveLength(before + 1);
    expect((await b.client().listReview()).items).toEqual([]);

    // The owner gives it back its freedom.
    await owner.setContactAutonomy(bContactId, 'extended');
    await send('back again');
    await waitFor('a wake again', async () => hooks.messageWakes().length === before + 2);
    expect(hooks.messageWakes()[before + 1]).toContain('agent-p2p send --to');
  });
});

describe('governance: quiet hours, through a real Bridge (the Portal clock moved by the test)', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let hooks: Hooks;
  let bridge: RunningBridge;
  let stateDir: string;

  beforeAll(async () => {
    a = await startPeer();
    b = await startPeer({ env: { PORTAL_QUIET_HOURS: '03:00-04:00', PORTAL_TIME_ZONE: 'UTC', PORTAL_WAKE_COALESCE_MS: '200' } });
    ({ aContactId } = await connect(a, b));
    hooks = new Hooks();
    await hooks.start();
    stateDir = mkdtempSync(join(tmpdir(), 'ap2p-gov-quiet-'));
    bridge = runBridge({
      hubUrl: b.url,
      apiKey: b.ownerKey,
      gatewayUrl: hooks.url,
      hooksToken: TOKEN,
      wake: 'wake',
      stateDir,
      command: 'agent-p2p',
      log: () => undefined,
      timing: FAST,
    });
  });

  afterAll(async () => {
    await bridge?.stop();
    await hooks?.stop();
    await a?.destroy();
    await b?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('messages wait through quiet hours while the owner chat still wakes; when they end, one wake brings them', async () => {
    const clock = b.app.get(Clock, { strict: false });
    // 03:30 UTC tomorrow: inside the quiet hours, after the messages' own arrival.
    const day = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    clock.now = () => new Date(`${day}T03:30:00Z`);

    await a.client().sendMessage(aContactId, 'sent at night 1');
    await a.client().sendMessage(aContactId, 'sent at night 2');
    const owner = createPortalClient({ baseUrl: b.url, session: true, headers: { Cookie: await b.login() } });
    await owner.postOwnerChatMessage('are you awake?');
    await waitFor('the owner chat wake', async () => hooks.texts.some((text) => text.includes('[主人消息] are you awake?')));
    const page = await waitFor('both waiting', async () => {
      const review = await b.client().listReview();
      return review.items.length === 2 ? review : null;
    });
    expect(page.items.map((item) => item.reason)).toEqual(['quiet_hours', 'quiet_hours']);
    expect(page.quietHours).toMatchObject({ span: '03:00-04:00', timeZone: 'UTC', active: true, endsAt: `${day}T04:00:00.000Z` });
    await quietFor(1000);
    expect(hooks.messageWakes()).toEqual([]);

    // 04:00: the quiet hours are over (the scheduler's next look is now).
    clock.now = () => new Date(`${day}T04:00:00Z`);
    b.app.get(GovernanceService, { strict: false }).poke();
    await waitFor('the morning wake', async () => hooks.messageWakes().length === 1);
    expect(hooks.messageWakes()[0]).toContain('<<<untrusted sent at night 1 >>>');
    expect(hooks.messageWakes()[0]).toContain('<<<untrusted sent at night 2 >>>');
  });
});
