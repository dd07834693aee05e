/**
 * The Agent P2P channel plugin in a real OpenClaw gateway (run by `npm run test:openclaw`, which
 * installs the gateway into a cache and packs the plugin first). The plugin is installed from its
 * packed tarball with `openclaw plugins install`, as a user would; B's gateway follows B's Portal,
 * and a stub model on loopback logs what the agent sees and answers with tool calls.
 */
import { createPortalClient } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, Gateway, type ModelRequest, type ModelTool, startPeer, StubModel, type TestPortal, waitFor } from '@agent-p2p/testing';
import { fileSendId, replyId, textSendId } from '../src/ids';
const REPO = resolve(process.cwd());
const KEY_ENV = 'AGENT_P2P_CHANNEL_TEST_KEY';

/** The packed plugin: from scripts/test-openclaw.mjs, else packed here. */
function tarball(): string {
  const given = process.env.AGENT_P2P_CHANNEL_TARBALL;
  if (given && existsSync(given)) return given;
  const packed = spawnSync(process.execPath, [join(REPO, 'apps', 'openclaw-channel', 'build.mjs')], { cwd: REPO, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`packing the plugin failed: ${packed.stderr}`);
  return packed.stdout.trim().split('\n').pop()!;
}

/** Arguments for the message tool's "send", following the parameter names its schema offers. */
function messageSendArgs(tools: ModelTool[], target: string, text: string): Record<string, unknown> | null {
  const tool = tools.find((t) => t.function?.name === 'message');
  if (!tool) return null;
  const props = Object.keys(tool.function?.parameters?.properties ?? {});
  const args: Record<string, unknown> = {};
  if (props.includes('action')) args.action = 'send';
  if (props.includes('channel')) args.channel = 'agent-p2p';
  for (const name of ['target', 'to']) if (props.includes(name)) args[name] = target;
  for (const name of ['message', 'text']) if (props.includes(name)) args[name] = text;
  return args;
}

function toolResults(model: StubModel): string[] {
  return model.requests.flatMap((r: ModelRequest) =>
    (r.body.messages ?? [])
      .filter((m) => m.role === 'tool')
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))),
  );
}

/** What the stub model and the gateway saw, for a failing test's output. */
function diagnostics(model: StubModel, gateway: Gateway): string {
  let log = '';
  try {
    log = readFileSync(join(gateway.dir, 'openclaw.log'), 'utf8')
      .split('\n')
      .filter((line) => /agent-p2p:|"logLevelName":"(ERROR|WARN)"/.test(line))
      .map((line) => /"message":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line)
      .slice(-60)
      .join('\n');
  } catch {
    // no log file
  }
  return [
    `tool calls: ${JSON.stringify(model.toolCalls).slice(0, 2000)}`,
    `tool results: ${JSON.stringify(toolResults(model)).slice(0, 3000)}`,
    `last messages: ${JSON.stringify((model.requests.at(-1)?.body.messages ?? []).slice(-3).map((m) => [m.role, String(typeof m.content === 'string' ? m.content : JSON.stringify(m.content)).slice(0, 600)]))}`,
    `message tool: ${(JSON.stringify((model.requests.at(-1)?.body.tools ?? []).find((t) => t.function?.name === 'message')) ?? '').slice(0, 1500)}`,
    `tools offered last: ${JSON.stringify((model.requests.at(-1)?.body.tools ?? []).map((t) => t.function?.name))}`,
    `gateway log:\n${log.slice(-6000)}`,
    `gateway output:\n${gateway.output.slice(-3000)}`,
  ].join('\n');
}

/** Runs a test body; on failure, adds what the model and the gateway saw to the error. */
async function explained(model: StubModel, gateway: Gateway, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.stderr.write(`\n---- diagnostics ----\n${diagnostics(model, gateway)}\n`);
    throw error;
  }
}

/** The pairing code of the listed request whose id is `id`, anywhere in `openclaw pairing list --json`. */
function pairingCode(listing: unknown, id: string): string | null {
  if (Array.isArray(listing)) {
    for (const item of listing) {
      const code = pairingCode(item, id);
      if (code) return code;
    }
    return null;
  }
  if (!listing || typeof listing !== 'object') return null;
  const record = listing as Record<string, unknown>;
  if (Object.values(record).includes(id) && typeof record.code === 'string') return record.code;
  for (const value of Object.values(record)) {
    const code = pairingCode(value, id);
    if (code) return code;
  }
  return null;
}

function parseJsonOutput(stdout: string): unknown {
  const start = stdout.search(/[[{]/);
  return JSON.parse(stdout.slice(start));
}

describe('Agent P2P channel plugin in a real OpenClaw gateway', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;
  let model: StubModel;
  let gateway: Gateway;
  const probeFile = (): string => join(gateway.dir, 'exec-probe-ran');
  const replyFile = (nonce: string): string => join(gateway.dir, `out-${nonce}.txt`);

  beforeAll(async () => {
    gateway = new Gateway();
    model = new StubModel([
      {
        // A contact's message asking for an answer: reply with the message tool, to the contact the
        // turn's provenance line names (A unless another contact wrote).
        pattern: /please-answer-(?<event>[a-z0-9]+)/g,
        call: (match, tools, request) => {
          const contact = [...request.text.matchAll(/target contact:(\d+)\)/g)].at(-1)?.[1] ?? String(bContactId);
          const args = messageSendArgs(tools, `contact:${contact}`, `pong ${match.groups!.event}`);
          return args ? { name: 'message', args } : null;
        },
      },
      {
        // A file from a contact: answer with a file of our own through the message tool.
        pattern: /sent a file \(Agent P2P[^\n]*?"in-(?<event>[a-z0-9]+)\.txt"/g,
        call: (match, tools) => {
          const args = messageSendArgs(tools, `contact:${bContactId}`, `file back ${match.groups!.event}`);
          return args ? { name: 'message', args: { ...args, media: replyFile(match.groups!.event) } } : null;
        },
      },
      {
        // A contact's message that tries to make the agent run a command.
        pattern: /run-probe-(?<event>[a-z0-9]+)/g,
        call: (_match, tools) => {
          const exec = tools.map((t) => t.function?.name ?? '').find((name) => name === 'exec');
          return exec ? { name: exec, args: { command: `touch '${probeFile()}'` } } : null;
        },
      },
    ]);
    await model.start();
    // B's Portal gives a bounded contact one woken turn a day (governance test); A's contact is
    // extended (200), so the other tests' turns are not held.
    [a, b] = await Promise.all([startPeer(), startPeer({ env: { PORTAL_AUTONOMY_BOUNDED_TURNS: '1' } })]);
    ({ aContactId, bContactId } = await connect(a, b));
    const owner = createPortalClient({ baseUrl: b.url, session: true, headers: { Cookie: await b.login() } });
    await owner.setContactAutonomy(bContactId, 'extended');
    await gateway.prepare(model.port, { session: { dmScope: 'main' } });
    const installed = await gateway.cli(['plugins', 'install', `npm-pack:${tarball()}`, '--force', '--accept-capabilities']);
    if (installed.status !== 0) throw new Error(`plugins install failed (${installed.status}):\n${installed.stdout}\n${installed.stderr}`);
    gateway.updateConfig((config) => {
      config.channels = {
        'agent-p2p': {
          portalUrl: b.url,
          apiKeyEnv: KEY_ENV,
          botLoopProtection: { maxEventsPerWindow: 5, windowSeconds: 600, cooldownSeconds: 600 },
        },
      };
    });
    await gateway.start(model.port, { [KEY_ENV]: b.ownerKey });
  }, 300_000);

  afterAll(async () => {
    await gateway?.stop();
    await model?.stop();
    await a?.destroy();
    await b?.destroy();
  }, 60_000);

  it('installed from the packed tarball: loaded, its config schema-checked, and `openclaw channels status` shows it connected', async () => {
    const files = readdirSync(join(gateway.dir, 'state'), { recursive: true }) as string[];
    expect(files.some((f) => f.endsWith(join('agent-p2p', 'dist', 'index.js')) || f.includes('openclaw-channel'))).toBe(true);
    const status = await waitFor(
      'the channel to report connected',
      async () => {
        const result = await gateway.cli(['channels', 'status', '--json'], 60_000);
        const text = result.stdout;
        return result.status === 0 && /"agent-p2p"/.test(text) && /"connected":\s*true/.test(text) ? text : null;
      },
      90_000,
    );
    const inspect = await gateway.cli(['plugins', 'inspect', 'agent-p2p', '--runtime', '--json'], 90_000);
    const runtime = parseJsonOutput(inspect.stdout) as { plugin?: { status?: string }; typedHooks?: Array<{ name?: string }> };
    expect(runtime.plugin?.status).toBe('loaded');
    expect(runtime.typedHooks?.map((h) => h.name)).toContain('before_tool_call');
    const json = parseJsonOutput(status) as Record<string, unknown>;
    expect(JSON.stringify(json)).toContain('agent-p2p');
    // The manifest's schema guards channels.agent-p2p: a bad value is refused and nothing is written.
    const before = readFileSync(gateway.configPath, 'utf8');
    const refused = await gateway.cli(['config', 'set', 'channels.agent-p2p.replyMode', 'sometimes'], 60_000);
    expect(refused.status).not.toBe(0);
    expect(`${refused.stdout}${refused.stderr}`).toMatch(/replyMode/);
    expect(readFileSync(gateway.configPath, 'utf8')).toBe(before);
  }, 180_000);

  it(
    "a message from A opens B's per-contact session, framed as untrusted; B's reply through the message tool reaches A",
    async () =>
      explained(model, gateway, async () => {
        const nonce = Date.now().toString(36);
        await a.client().sendMessage(aContactId, `Hello B, please-answer-${nonce}`);
        const seen = await waitFor(
          'the message to reach the model',
          async () => model.requests.find((r) => r.text.includes(`please-answer-${nonce}`)),
          90_000,
        );
        expect(seen.text).toContain('Untrusted third-party content');
        expect(seen.text).toContain(b.url);
        // The runtime line of the prompt names the session the turn runs in.
        expect(seen.text).toContain(`session=agent:main:agent-p2p:default:direct:${bContactId} `);
        const reply = await waitFor(
          'the reply to reach A',
          async () =>
            (await a.client().listMessages({ contactId: aContactId, limit: 100 })).messages.find((m) => m.content === `pong ${nonce}`),
          90_000,
        );
        expect(reply.contactId).toBe(aContactId);
        const onB = (await b.client().listMessages({ contactId: bContactId, limit: 100 })).messages;
        const sent = onB.find((m) => m.content === `pong ${nonce}`);
        expect(sent).toBeDefined();
        // The reply's id is derived from the message it answers: a replayed turn sends the same id.
        const inbound = onB.find((m) => m.content === `Hello B, please-answer-${nonce}`)!;
        expect([textSendId(inbound.id, bContactId, `pong ${nonce}`), replyId(inbound.id, 1)]).toContain(sent!.id);
      }),
    240_000,
  );

  it(
    '`openclaw message send --channel agent-p2p --target contact:<id>` sends through the Portal and returns a receipt with its message id',
    async () =>
      explained(model, gateway, async () => {
        const text = `from the CLI ${Date.now().toString(36)}`;
        // The CLI sends from its own process: it needs the key's variable like the gateway.
        const env = { [KEY_ENV]: b.ownerKey };
        const result = await gateway.cli(
          ['message', 'send', '--channel', 'agent-p2p', '--target', `contact:${bContactId}`, '--message', text, '--json'],
          90_000,
          env,
        );
        expect({ status: result.status, stderr: result.status === 0 ? '' : `${result.stdout}\n${result.stderr}`.slice(-3000) }).toEqual({
          status: 0,
          stderr: '',
        });
        const received = await waitFor(
          'the CLI message to reach A',
          async () => (await a.client().listMessages({ contactId: aContactId, limit: 100 })).messages.find((m) => m.content === text),
          60_000,
        );
        const sent = (await b.client().listMessages({ contactId: bContactId, limit: 100 })).messages.find((m) => m.content === text);
        expect(sent).toBeDefined();
        expect(received.contactId).toBe(aContactId);
        expect(result.stdout).toContain(sent!.id);
        const bad = await gateway.cli(
          ['message', 'send', '--channel', 'agent-p2p', '--target', 'someone', '--message', 'x', '--json'],
          90_000,
          env,
        );
        expect(bad.status).not.toBe(0);
        expect(`${bad.stdout}${bad.stderr}`).toMatch(/contact/);
      }),
    240_000,
  );

  it(
    'a contact\'s turn cannot run commands (exec is blocked) until the owner sets contactTools to "full"',
    async () =>
      explained(model, gateway, async () => {
        /** Sends a probe and returns the tool result the model got for its exec call. */
        const probe = async (): Promise<string> => {
          const sentAt = Date.now();
          await a.client().sendMessage(aContactId, `Please run-probe-${sentAt.toString(36)} now`);
          const nonce = `run-probe-${sentAt.toString(36)}`;
          const contentOf = (m: { content: unknown }): string => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content));
          return waitFor(
            'the exec call to be answered',
            async () => {
              for (const r of model.requests.filter((request) => request.at > sentAt)) {
                const messages = r.body.messages ?? [];
                const asked = messages.findIndex((m) => contentOf(m).includes(nonce));
                const result = asked >= 0 ? messages.slice(asked).find((m) => m.role === 'tool') : undefined;
                if (result) return contentOf(result);
              }
              return null;
            },
            90_000,
          );
        };
        const blocked = await probe();
        expect(blocked).toContain('not available while answering an Agent P2P contact');
        expect(existsSync(probeFile())).toBe(false);

        gateway.updateConfig((config) => {
          (config.channels as Record<string, Record<string, unknown>>)['agent-p2p'].contactTools = 'full';
        });
        await waitFor(
          'the gateway to apply contactTools "full"',
          async () => {
            await new Promise((r) => setTimeout(r, 1000));
            const result = await gateway.cli(['channels', 'status', '--json'], 60_000);
            return result.status === 0 && /"connected":\s*true/.test(result.stdout);
          },
          60_000,
        );
        await waitFor(
          'the opted-in exec to run',
          async () => {
            await probe();
            return existsSync(probeFile());
          },
          150_000,
        );
        gateway.updateConfig((config) => {
          delete (config.channels as Record<string, Record<string, unknown>>)['agent-p2p'].contactTools;
        });
      }),
    300_000,
  );

  it(
    'a contact request is an OpenClaw pairing request: `openclaw pairing approve` approves it on the Portal and makes no peer the command owner',
    async () =>
      explained(model, gateway, async () => {
        const c = await startPeer();
        try {
          const outgoing = await c.client().createContact(b.url, 'May I be your contact?');
          const request = await waitFor(
            'B to verify the request',
            async () => (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === c.url),
            30_000,
          );
          const code = await waitFor(
            'the pairing request to be listed',
            async () => {
              const listed = await gateway.cli(['pairing', 'list', 'agent-p2p', '--json'], 60_000);
              if (listed.status !== 0 || !listed.stdout.includes(`request-${request.id}`)) return null;
              return pairingCode(parseJsonOutput(listed.stdout), `request-${request.id}`);
            },
            90_000,
          );
          const approved = await gateway.cli(['pairing', 'approve', 'agent-p2p', code], 60_000);
          expect({ status: approved.status, out: approved.status === 0 ? '' : `${approved.stdout}\n${approved.stderr}` }).toEqual({
            status: 0,
            out: '',
          });
          await waitFor('C to see the contact active', async () => (await c.client().getContact(outgoing.id)).status === 'active', 60_000);
          const contact = (await b.client().listContacts('active')).find((x) => x.portalUrl === c.url);
          expect(contact).toBeDefined();
          // Whatever the pairing CLI made command owner, it is no identity a contact's turn carries.
          const config = gateway.readConfig() as { commands?: { ownerAllowFrom?: string[] } };
          const owners = config.commands?.ownerAllowFrom ?? [];
          for (const owner of owners) {
            expect(owner).not.toMatch(new RegExp(`^(agent-p2p:)?(contact:)?(${contact!.id}|${bContactId})$`));
          }
          // A second contact has a conversation of its own: its turn runs in its own session, without A's history.
          const cNonce = Date.now().toString(36);
          await c.client().sendMessage(outgoing.id, `Hi from C, please-answer-${cNonce}`);
          const cTurn = await waitFor(
            "C's message to reach the model",
            async () => model.requests.find((r) => r.text.includes(`please-answer-${cNonce}`)),
            90_000,
          );
          expect(cTurn.text).toContain(`session=agent:main:agent-p2p:default:direct:${contact!.id} `);
          expect(cTurn.text).not.toContain('Hello B, please-answer-');
          // The consumed approval is gone from the channel's allowlist.
          await waitFor(
            'the approval to be consumed',
            async () => {
              const listed = await gateway.cli(['pairing', 'list', 'agent-p2p', '--json'], 60_000);
              return !listed.stdout.includes(`request-${request.id}`);
            },
            60_000,
          );
        } finally {
          await c.destroy();
        }
      }),
    300_000,
  );

  it('owner chat from the console reaches the main session as a system event', async () => {
    const cookie = await b.login();
    const owner = createPortalClient({ baseUrl: b.url, session: true, headers: { Cookie: cookie } });
    const nonce = Date.now().toString(36);
    await owner.postOwnerChatMessage(`owner-note-${nonce}`);
    const seen = await waitFor(
      'the owner note to reach the model',
      async () => model.requests.find((r) => r.text.includes(`owner-note-${nonce}`)),
      90_000,
    );
    expect(seen.text).toContain('your owner wrote in the console');
  }, 180_000);

  it(
    "files both ways: A's file reaches B's agent as media with its SHA-256; the agent's file (message tool) reaches A verified",
    async () =>
      explained(model, gateway, async () => {
        const nonce = Date.now().toString(36);
        const content = Buffer.from(`A's file ${nonce}\n`, 'utf8');
        const sha = createHash('sha256').update(content).digest('hex');
        const back = Buffer.from(`B's answer file ${nonce}\n`, 'utf8');
        writeFileSync(replyFile(nonce), back);
        const upload = await a
          .client()
          .createFileUpload({ contactId: aContactId, name: `in-${nonce}.txt`, size: content.length, sha256: sha, mime: 'text/plain' });
        await a.client().uploadFileChunk(upload.id, 0, content, sha);
        const seen = await waitFor(
          'the file to reach the model',
          async () => model.requests.find((r) => r.text.includes(`"in-${nonce}.txt"`)),
          120_000,
        );
        expect(seen.text).toContain(`sha256 ${sha}`);
        expect(seen.text).toContain(`session=agent:main:agent-p2p:default:direct:${bContactId} `);
        const path = /Saved at (\S+) /.exec(seen.text)?.[1];
        expect(path).toBeDefined();
        expect(createHash('sha256').update(readFileSync(path!)).digest('hex')).toBe(sha);
        const arrived = await waitFor(
          "B's file to reach A",
          async () =>
            (await a.client().listFiles({})).find((f) => f.direction === 'in' && f.name === `out-${nonce}.txt` && f.status === 'received'),
          120_000,
        );
        const expected = createHash('sha256').update(back).digest('hex');
        expect(arrived.sha256).toBe(expected);
        // B's upload has the id derived from the file it answers: a replayed turn does not send it twice.
        const inboundFile = (await b.client().listFiles({ contactId: bContactId, direction: 'in' })).find(
          (f) => f.name === `in-${nonce}.txt`,
        )!;
        const outgoing = (await b.client().listFiles({ contactId: bContactId, direction: 'out' })).filter(
          (f) => f.name === `out-${nonce}.txt`,
        );
        expect(outgoing.map((f) => f.id)).toEqual([fileSendId(inboundFile.id, bContactId, { sha256: expected, name: `out-${nonce}.txt` })]);
        const downloaded = Buffer.from(await (await a.client().downloadFile(arrived.id)).arrayBuffer());
        expect(createHash('sha256').update(downloaded).digest('hex')).toBe(expected);
      }),
    300_000,
  );

  it(
    'the gateway killed mid-turn and restarted: the message is answered exactly once',
    async () =>
      explained(model, gateway, async () => {
        const nonce = `crash${Date.now().toString(36)}`;
        model.hold = new RegExp(`please-answer-${nonce}`);
        await a.client().sendMessage(aContactId, `Before the crash: please-answer-${nonce}`);
        await waitFor('the turn to reach the model', async () => model.held.length > 0, 90_000);
        await gateway.halt('SIGKILL');
        model.hold = null;
        await gateway.start(model.port, { [KEY_ENV]: b.ownerKey });
        const pong = `pong ${nonce}`;
        await waitFor(
          'the answer to reach A',
          async () => (await a.client().listMessages({ contactId: aContactId, limit: 200 })).messages.some((m) => m.content === pong),
          150_000,
        );
        // Let a second delivery, if any, arrive before counting.
        await new Promise((r) => setTimeout(r, 8_000));
        const answers = (await a.client().listMessages({ contactId: aContactId, limit: 200 })).messages.filter((m) => m.content === pong);
        expect(answers).toHaveLength(1);
      }),
    300_000,
  );

  it(
    "the bot-pair loop guard stops an endless exchange: turns stop and the owner's main session is told",
    async () =>
      explained(model, gateway, async () => {
        const base = `loop${Date.now().toString(36)}`;
        const notice = () => model.requests.find((r) => r.text.includes('looks like two agents answering each other'));
        // Two agents answering each other: A writes again each time B's answer arrives (one wake per
        // message: the Portal coalesces only messages that arrive together).
        for (let i = 0; i < 9 && !notice(); i += 1) {
          await a.client().sendMessage(aContactId, `${base}-${i} please-answer-${base}x${i}`);
          await waitFor(
            'the answer or the loop notice',
            async () =>
              notice() ??
              (await a.client().listMessages({ contactId: aContactId, limit: 200 })).messages.some(
                (m) => m.content === `pong ${base}x${i}`,
              ),
            90_000,
          );
        }
        const told = await waitFor('the loop notice', async () => notice(), 60_000);
        expect(told.text).toContain(`contact ${bContactId}`);
        const seen = new Set(model.requests.flatMap((r) => [...r.text.matchAll(new RegExp(`${base}-(\\d)`, 'g'))].map((m) => m[1])));
        expect(seen.size).toBeGreaterThan(0);
        expect(seen.size).toBeLessThan(9);
      }),
    420_000,
  );

  it(
    "governance: past a contact's budget no turn opens until the owner releases (then exactly one); notify-only reaches the main session; blocked reaches nobody",
    async () =>
      explained(model, gateway, async () => {
        const d = await startPeer();
        try {
          const { aContactId: dToB, bContactId: dOnB } = await connect(d, b);
          const owner = createPortalClient({ baseUrl: b.url, session: true, headers: { Cookie: await b.login() } });
          const n = `gov${Date.now().toString(36)}`;
          const seenBy = (tag: string) => model.requests.filter((r) => r.text.includes(tag));
          const pongsAtD = async (tag: string) =>
            (await d.client().listMessages({ contactId: dToB, limit: 100 })).messages.filter((m) => m.content === `pong ${tag}`);
          const storedOnB = (text: string) =>
            waitFor('the message to be stored on B', async () =>
              (await b.client().listMessages({ contactId: dOnB, limit: 100 })).messages.some((m) => m.content === text),
            );
          const session = `session=agent:main:agent-p2p:default:direct:${dOnB} `;

          // Within the budget (one turn): a turn in D's session, answered.
          await d.client().sendMessage(dToB, `first please-answer-${n}a`);
          await waitFor('the answer to the first message', async () => (await pongsAtD(`${n}a`)).length > 0, 90_000);

          // The budget is used up: the next message is held for the owner and opens no turn.
          const heldText = `second please-answer-${n}b`;
          await d.client().sendMessage(dToB, heldText);
          const held = await waitFor(
            'the message to be held for review',
            // (It waits for more messages to join its wake first: "waiting", "coalescing".)
            async () => (await b.client().listReview()).items.find((item) => item.content === heldText && item.state === 'held'),
            30_000,
          );
          expect(held).toMatchObject({ state: 'held', reason: 'budget', contactId: dOnB });
          await new Promise((r) => setTimeout(r, 5_000));
          expect(seenBy(`${n}b`)).toEqual([]);

          // The owner releases it: exactly one turn, in D's session, told that the owner released it.
          expect(await owner.releaseReview({ contactId: dOnB })).toEqual({ count: 1, wakes: 1 });
          await waitFor('the answer to the released message', async () => (await pongsAtD(`${n}b`)).length > 0, 90_000);
          const released = seenBy(`${n}b`);
          expect(released[0].text).toContain(session);
          expect(released[0].text).toContain('your owner reviewed this message');
          await new Promise((r) => setTimeout(r, 5_000));
          // One turn: the session's history holds the message once, and it was answered once.
          const latest = seenBy(`${n}b`).at(-1)!;
          const asUser = (latest.body.messages ?? []).filter(
            (m) => m.role === 'user' && (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)).includes(heldText),
          );
          expect(asUser).toHaveLength(1);
          expect(await pongsAtD(`${n}b`)).toHaveLength(1);
          expect((await b.client().listReview()).items).toEqual([]);

          // notify-only (an owner key may lower a tier): a notice in the main session, no contact turn.
          await b.client().setContactAutonomy(dOnB, 'notify-only');
          await d.client().sendMessage(dToB, `for your owner notice-${n}c`);
          const notice = await waitFor('the notice to reach the model', async () => seenBy(`notice-${n}c`)[0], 90_000);
          expect(notice.text).toContain('notify-only contact');
          expect(notice.text).toContain('untrusted third-party text');
          expect(notice.text).not.toContain(session);
          expect(seenBy(`notice-${n}c`).some((r) => r.text.includes(session))).toBe(false);

          // blocked: stored on B, and nothing reaches the agent.
          await b.client().setContactAutonomy(dOnB, 'blocked');
          const blockedText = `third please-answer-${n}d`;
          await d.client().sendMessage(dToB, blockedText);
          await storedOnB(blockedText);
          await new Promise((r) => setTimeout(r, 6_000));
          expect(seenBy(`${n}d`)).toEqual([]);
          expect(await pongsAtD(`${n}d`)).toEqual([]);
        } finally {
          await d.destroy();
        }
      }),
    300_000,
  );
});
