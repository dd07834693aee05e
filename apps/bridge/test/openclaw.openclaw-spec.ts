/**
 * The Bridge against a real OpenClaw gateway (run by `npm run test:openclaw`, which installs the
 * gateway into a cache directory first). A stub OpenAI-compatible model on loopback logs what the
 * agent sees and answers the wake with a tool call that runs `agent-p2p send`.
 */
import { createPortalClient } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, execResponder, Gateway, startPeer, StubModel, type TestPortal, waitFor } from '@agent-p2p/testing';
import { runBridge } from '../src/bridge/run';
import type { RunningBridge } from '../src/bridge/types';
const REPO = resolve(process.cwd());
const CLI = process.env.AGENT_P2P_CLI ?? join(REPO, 'apps', 'bridge', 'dist', 'cli.js');
const REPLY = 'pong from B via agent-p2p send';
const OWNER_REPLY = 'Read it; here it is back';
const OWNER_FILE = 'brief 简报.txt';

describe('Bridge → real OpenClaw gateway', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;
  let model: StubModel;
  let gateway: Gateway;
  let bridge: RunningBridge | null = null;
  const stateDir = mkdtempSync(join(tmpdir(), 'ap2p-bridge-oc-'));
  const cliBuilt = existsSync(CLI);

  beforeAll(async () => {
    gateway = new Gateway();
    // The wake text names the command; the wrapper on the gateway's exec PATH runs the real CLI.
    model = new StubModel(
      cliBuilt
        ? [
            execResponder(
              /\[Agent P2P\] 新消息来自[^[]*?send --to (?<contact>\d+)[^[]*?\[event (?<event>[0-9a-f-]{36})\]/g,
              (match) => `agent-p2p send --to ${match.groups!.contact} "${REPLY}"`,
            ),
            // The owner attached a file: fetch it with the command the wake names, answer with it attached.
            execResponder(/\[主人消息\][^[]*?files get (?<file>[0-9a-f-]{36}) -o <dir>.*?\[event (?<event>[0-9a-f-]{36})\]/g, (match) => {
              const dir = join(gateway.dir, 'owner-files');
              return `mkdir -p '${dir}' && agent-p2p files get ${match.groups!.file} -o '${dir}' && agent-p2p owner reply "${OWNER_REPLY}" --file '${join(dir, OWNER_FILE)}'`;
            }),
          ]
        : [],
    );
    await model.start();
    [a, b] = await Promise.all([startPeer(), startPeer()]);
    ({ aContactId, bContactId } = await connect(a, b));
    if (cliBuilt) {
      const wrapper = join(gateway.binDir, 'agent-p2p');
      mkdirSync(gateway.binDir, { recursive: true });
      writeFileSync(
        wrapper,
        `#!/bin/sh\nAGENTP2P_HUB_URL='${b.url}' AGENTP2P_API_KEY='${b.ownerKey}' exec '${process.execPath}' '${CLI}' "$@"\n`,
      );
      chmodSync(wrapper, 0o700);
    }
    await gateway.start(model.port);
  }, 180_000);

  afterAll(async () => {
    await bridge?.stop();
    await gateway?.stop();
    await model?.stop();
    await a?.destroy();
    await b?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('the gateway answers the hooks API as the Bridge expects: 401 wrong token, 400 empty text, 200 for a wake', async () => {
    const post = (token: string, body: unknown): Promise<Response> =>
      fetch(`${gateway.url}/hooks/wake`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    expect((await post('wrong', { text: 'x', mode: 'now' })).status).toBe(401);
    expect((await post(gateway.hooksToken, { text: '', mode: 'now' })).status).toBe(400);
    const ok = await post(gateway.hooksToken, { text: `probe ${Date.now()}`, mode: 'next-heartbeat' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true });
  });

  it("a message from A wakes B's agent through B's Bridge; the agent's tool call runs agent-p2p send and the reply reaches A", async () => {
    const logs: Array<Record<string, unknown>> = [];
    bridge = runBridge({
      hubUrl: b.url,
      apiKey: b.ownerKey,
      gatewayUrl: gateway.url,
      hooksToken: gateway.hooksToken,
      wake: 'wake',
      stateDir,
      command: 'agent-p2p',
      log: (line) => logs.push(line),
      timing: { retryMinDelayMs: 200, retryMaxDelayMs: 2000, configErrorDelayMs: 2000 },
    });
    const nonce = `hello-${Date.now().toString(36)}`;
    await a.client().sendMessage(aContactId, `${nonce}: 你好, are you there?`);
    const seen = await waitFor(
      'the wake text to reach the model',
      async () => model.requests.find((r) => r.text.includes(nonce) && r.text.includes('[Agent P2P] 新消息来自')),
      90_000,
    );
    expect(seen.text).toContain(`<<<untrusted ${nonce}: 你好, are you there? >>>`);
    expect(seen.text).toContain(`agent-p2p send --to ${bContactId}`);
    expect(seen.body.stream).toBe(true);
    expect(bridge.status().lastWake).toMatchObject({ status: 200 });

    if (!cliBuilt) {
      // This tree has no built CLI (apps/bridge/dist/cli.js): reply with the SDK so the round trip is still proven.
      process.stderr.write(`openclaw test: ${CLI} is not built; replying through the SDK instead of a tool call\n`);
      await b.client().sendMessage(bContactId, REPLY);
    } else {
      await waitFor('the stub model to ask for the exec tool call', async () => model.toolCalls.length > 0, 30_000);
    }
    const reply = await waitFor(
      'the reply to reach A',
      async () => (await a.client().listMessages({ contactId: aContactId, limit: 100 })).messages.find((m) => m.content === REPLY),
      90_000,
    );
    expect(reply.contactId).toBe(aContactId);
    if (cliBuilt) {
      // The tool result went back to the model: the command really ran.
      await waitFor(
        'the tool result to reach the model',
        async () => model.requests.some((r) => r.body.messages?.some((m) => m.role === 'tool')),
        30_000,
      );
    }
    await waitFor('the Bridge to ack', async () => bridge!.status().lastAckedSeq !== null && bridge!.status().pending === null);
  }, 240_000);

  it('the owner attaches a file in the console: the wake names it, the agent fetches it and answers with it attached', async () => {
    if (!cliBuilt) return;
    const cookie = await b.login();
    const owner = createPortalClient({ baseUrl: b.url, session: true, headers: { Cookie: cookie } });
    const brief = Buffer.from(`Brief for the agent ${Date.now()}\n`, 'utf8');
    const sha = createHash('sha256').update(brief).digest('hex');
    const upload = await owner.createFileUpload({ name: OWNER_FILE, size: brief.length, sha256: sha, mime: 'text/plain' });
    await owner.uploadFileChunk(upload.id, 0, brief, sha);
    await owner.postOwnerChatMessage('Please read the brief', [upload.id]);
    const seen = await waitFor(
      'the owner wake to reach the model',
      async () => model.requests.find((r) => r.text.includes('[主人消息] Please read the brief')),
      90_000,
    );
    expect(seen.text).toContain(`${OWNER_FILE} (`);
    expect(seen.text).toContain(`agent-p2p files get ${upload.id} -o <dir>`);
    const reply = await waitFor(
      "the agent's reply with the file",
      async () => (await owner.listOwnerChatMessages()).messages.find((m) => m.role === 'agent' && m.content === OWNER_REPLY),
      90_000,
    );
    expect(reply.attachments).toEqual([
      { fileId: expect.any(String), name: OWNER_FILE, size: brief.length, mime: 'application/octet-stream', sha256: sha, available: true },
    ]);
    expect(reply.attachments[0].fileId).not.toBe(upload.id);
    await waitFor('the Bridge to ack', async () => bridge!.status().pending === null);
  }, 240_000);

  it('--wake agent: POST /hooks/agent with the per-contact session key reaches the model', async () => {
    await bridge?.stop();
    const agentStateDir = mkdtempSync(join(tmpdir(), 'ap2p-bridge-oc-agent-'));
    bridge = runBridge({
      hubUrl: b.url,
      apiKey: b.ownerKey,
      gatewayUrl: gateway.url,
      hooksToken: gateway.hooksToken,
      wake: 'agent',
      stateDir: agentStateDir,
      command: 'agent-p2p',
      log: () => undefined,
      timing: { retryMinDelayMs: 200, retryMaxDelayMs: 2000, configErrorDelayMs: 2000 },
    });
    try {
      const nonce = `agent-hook-${Date.now().toString(36)}`;
      const sent = await a.client().sendMessage(aContactId, nonce);
      await waitFor('the agent hook message to reach the model', async () => model.requests.find((r) => r.text.includes(nonce)), 90_000);
      await waitFor(
        'the Bridge to ack it',
        async () => {
          const status = bridge!.status();
          return status.lastWake?.status === 200 && status.pending === null && status.lastAckedSeq !== null ? status : null;
        },
        30_000,
      );
      expect(bridge.status().errors).toEqual([]);
      expect(sent.id).toBeTruthy();
    } finally {
      await bridge.stop();
      bridge = null;
      rmSync(agentStateDir, { recursive: true, force: true });
    }
  }, 180_000);
});
