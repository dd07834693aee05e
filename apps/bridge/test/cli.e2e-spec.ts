import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  CLI,
  Contact,
  ensureCliBuilt,
  expectFailure,
  expectOk,
  freePort,
  GuestbookEntry,
  runIn,
  type RunOptions,
  startPeer,
  type TestPortal,
  waitFor,
} from '@agent-p2p/testing';
const ESC = '\u001b';
/** The Portal refuses C0 controls in names, but C1 controls and bidi overrides pass its checks. */
const BOB_NAME = 'Bob\u009b31m agent\u202e';
const EVIL_NAME = `Bob${ESC}[31m agent${ESC}[0m`;

describe('agent-p2p CLI against real Portals', () => {
  let a: TestPortal;
  let b: TestPortal;
  let home: string;
  /** A's configuration through the environment; B's through flags. */
  let envA: Record<string, string>;
  let flagsB: string[];
  const cliA = (args: string[], options: RunOptions = {}) => runIn(home, args, { ...options, env: { ...envA, ...options.env } });
  const cliB = (args: string[], options: RunOptions = {}) => runIn(home, [...args, ...flagsB], options);
  let aContactId = 0;
  let bContactId = 0;

  beforeAll(async () => {
    ensureCliBuilt();
    home = mkdtempSync(join(tmpdir(), 'ap2p-cli-home-'));
    [a, b] = await Promise.all([startPeer(), startPeer()]);
    await a.client().updateMe({ agentName: "Alice's agent", ownerName: 'Alice' });
    // B's name carries a C1 control sequence and a bidi override: A must print it harmlessly.
    await b.client().updateMe({ agentName: BOB_NAME, ownerName: 'Bob' });
    envA = { AGENTP2P_HUB_URL: a.url, AGENTP2P_API_KEY: a.ownerKey };
    flagsB = ['--hub', b.url, '--key', b.ownerKey];
  });

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('--help of every command exits 0 and names its options', async () => {
    const cases: Array<[string[], string[]]> = [
      [
        [],
        [
          'login',
          'status',
          'contacts add',
          'requests approve',
          'send',
          'messages',
          'guestbook list',
          'events',
          'keys revoke',
          'Exit codes',
        ],
      ],
      [['login'], ['--hub URL', '--key KEY', '0600']],
      [['status'], ['--json']],
      [['me'], ['--json']],
      [['profile'], ['profile set', 'profile show']],
      [['profile', 'show'], ['--json']],
      [
        ['profile', 'set'],
        ['--agent-name', '--owner-name', '--bio', '--avatar-text'],
      ],
      [['contacts'], ['contacts list', 'contacts add', 'contacts show', 'contacts remove']],
      [['contacts', 'list'], ['--status']],
      [
        ['contacts', 'add'],
        ['<portal-url>', '--message', '--wait'],
      ],
      [['contacts', 'show'], ['<contact-id>']],
      [['contacts', 'remove'], ['<contact-id>']],
      [['requests'], ['requests list', 'requests approve', 'requests reject']],
      [
        ['requests', 'list'],
        ['--status', '--after', '--limit'],
      ],
      [['requests', 'approve'], ['<request-id>']],
      [['requests', 'reject'], ['<request-id>']],
      [['send'], ['--to ID', '--to-contact ID', '--id UUID', 'stdin']],
      [['messages'], ['--with', '--search', '--after', '--before', '--limit']],
      [['guestbook'], ['guestbook list']],
      [
        ['guestbook', 'list'],
        ['--unread', '--after', '--limit'],
      ],
      [['events'], ['--after', '--limit', '--follow']],
      [['keys'], ['keys list', 'keys create', 'keys revoke']],
      [['keys', 'list'], ['--json']],
      [['keys', 'create'], ['<name>']],
      [['keys', 'revoke'], ['<key-id>']],
      [['bridge'], ['bridge status']],
      [['bridge', 'status'], ['bridge-status.json']],
    ];
    for (const [words, expected] of cases) {
      const result = await runIn(home, [...words, '--help']);
      expectOk(result);
      for (const text of [...expected, 'Exit codes', '--json', '--hub']) expect(`${words.join(' ')}: ${result.stdout}`).toContain(text);
    }
    const viaHelp = await runIn(home, ['help', 'contacts', 'add']);
    expectOk(viaHelp);
    expect(viaHelp.stdout).toContain('Usage: agent-p2p contacts add <portal-url>');
  });

  it('without any configuration a command fails with exit 2 and says how to fix it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ap2p-cli-empty-'));
    try {
      expectFailure(await runIn(empty, ['contacts', 'list']), 2, 'agent-p2p login --hub URL --key KEY', 'AGENTP2P_HUB_URL');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('bad flags and arguments exit 2 with one line', async () => {
    expectFailure(await cliA(['contacts', 'list', '--bogus']), 2, 'unknown option --bogus');
    expectFailure(await cliA(['messages', '--limit', 'lots']), 2, '--limit');
    expectFailure(await cliA(['messages', '--after', '1', '--before', '5']), 2, 'either --after or --before');
    expectFailure(await cliA(['send', 'hello']), 2, '--to');
    expectFailure(await cliA(['send', '--to', '1']), 2, 'missing argument');
    expectFailure(await cliA(['send', '--to', 'three', 'hello']), 2, 'whole number');
    expectFailure(await cliA(['send', '--to', '1', '--id', 'not-a-uuid', 'hello']), 2, 'UUID');
    expectFailure(await cliA(['contacts', 'frobnicate']), 2, 'unknown command');
    expectFailure(await cliA(['frobnicate']), 2, 'unknown command');
    expectFailure(await cliA(['contacts', 'remove']), 2, 'missing argument');
    expectFailure(await cliA(['profile', 'set']), 2, 'nothing to change');
    expectFailure(await cliA(['status', '--hub', 'ftp://example.com']), 2, 'http://');
  });

  it('login refuses a wrong key with the Portal message and saves nothing', async () => {
    const result = await runIn(home, ['login', '--hub', a.url, '--key', 'ap2p_o_wrongwrongwrongwrongwrong']);
    expectFailure(result, 1, 'Invalid, expired or revoked credential');
    expect(existsSync(join(home, '.config', 'agent-p2p', 'config.json'))).toBe(false);
  });

  it('login checks the key and saves it with mode 0600; other commands then use it', async () => {
    const result = await runIn(home, ['login', '--hub', `${a.url}/`, '--key', a.ownerKey]);
    expectOk(result);
    expect(result.stdout).toContain("Alice's agent");
    const dir = join(home, '.config', 'agent-p2p');
    const file = join(dir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ hubUrl: a.url, apiKey: a.ownerKey });

    const status = await runIn(home, ['status']);
    expectOk(status);
    expect(status.stdout).toMatch(/Key:\s+works/);
    expect(status.stdout).toContain("Alice's agent");
    expect(status.stdout).toContain(a.url);

    // The key can come from stdin.
    const other = mkdtempSync(join(tmpdir(), 'ap2p-cli-login-'));
    try {
      const piped = await runIn(other, ['login', '--hub', a.url, '--key', '-', '--json'], { input: `${a.ownerKey}\n` });
      expectOk(piped);
      expect(JSON.parse(piped.stdout)).toMatchObject({ hubUrl: a.url, profile: { agentName: "Alice's agent" } });
      expect(JSON.parse(readFileSync(join(other, '.config', 'agent-p2p', 'config.json'), 'utf8')).apiKey).toBe(a.ownerKey);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('flags win over the environment, which wins over the saved login', async () => {
    // The saved login is A; the environment names B: B answers.
    const viaEnv = await runIn(home, ['me', '--json'], { env: { AGENTP2P_HUB_URL: b.url, AGENTP2P_API_KEY: b.ownerKey } });
    expectOk(viaEnv);
    expect(JSON.parse(viaEnv.stdout).ownerName).toBe('Bob');
    const viaFlags = await runIn(home, ['me', '--json', '--hub', a.url, '--key', a.ownerKey], {
      env: { AGENTP2P_HUB_URL: b.url, AGENTP2P_API_KEY: b.ownerKey },
    });
    expectOk(viaFlags);
    expect(JSON.parse(viaFlags.stdout).ownerName).toBe('Alice');
  });

  it('status --json parses', async () => {
    const result = await cliA(['status', '--json']);
    expectOk(result);
    expect(JSON.parse(result.stdout)).toMatchObject({
      hubUrl: a.url,
      health: { status: 'ok' },
      key: { works: true },
      profile: { agentName: "Alice's agent", ownerName: 'Alice' },
      contacts: { active: 0 },
      requests: { pending: 0 },
    });
  });

  it('a Portal that is down: exit 3 naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    expectFailure(await runIn(home, ['contacts', 'list', '--hub', url, '--key', a.ownerKey]), 3, url);
    expectFailure(await runIn(home, ['status', '--hub', url, '--key', a.ownerKey]), 3, url);
  });

  it('a Portal that fails (5xx) or hangs: exit 3 with one line', async () => {
    const hanging: ServerResponse[] = [];
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/api/contacts')) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' }));
      } else hanging.push(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      expectFailure(await runIn(home, ['contacts', 'list', '--hub', url, '--key', a.ownerKey]), 3, url, '500', 'Internal server error');
      expectFailure(
        await runIn(home, ['me', '--hub', url, '--key', a.ownerKey], { env: { AGENTP2P_TIMEOUT: '0.5' } }),
        3,
        url,
        'no answer within 0.5 s',
      );
      expectFailure(
        await runIn(home, ['me', '--hub', url, '--key', a.ownerKey], { env: { AGENTP2P_TIMEOUT: 'soon' } }),
        2,
        'AGENTP2P_TIMEOUT',
      );
    } finally {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a wrong key: exit 1 with the Portal message', async () => {
    expectFailure(
      await cliA(['contacts', 'list'], { env: { AGENTP2P_API_KEY: 'ap2p_o_nope' } }),
      1,
      '401',
      'Invalid, expired or revoked credential',
    );
    const status = await cliA(['status'], { env: { AGENTP2P_API_KEY: 'ap2p_o_nope' } });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/Key:\s+refused/);
    expect(status.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('contacts add reaches the other Portal; requests list and approve there make both sides active', async () => {
    const added = await cliA(['contacts', 'add', b.url, '--message', 'Hello from Alice', '--json']);
    expectOk(added);
    const contact = JSON.parse(added.stdout) as { id: number; status: string; portalUrl: string };
    expect(contact).toMatchObject({ status: 'pending', portalUrl: b.url });
    aContactId = contact.id;

    await waitFor('B to see the verified request', async () =>
      (await b.client().listContactRequests('pending')).find((r) => r.portalUrl === a.url),
    );
    const listed = await cliB(['requests', 'list', '--json']);
    expectOk(listed);
    const requests = JSON.parse(listed.stdout) as Array<{ id: number; portalUrl: string; message: string; agentName: string }>;
    const request = requests.find((r) => r.portalUrl === a.url)!;
    expect(request).toMatchObject({ message: 'Hello from Alice', agentName: "Alice's agent" });

    const human = await cliB(['requests', 'list']);
    expectOk(human);
    expect(human.stdout).toContain(`request ${request.id}`);
    expect(human.stdout).toContain('Hello from Alice');
    expect(human.stdout).toContain(`agent-p2p requests approve ${request.id}`);
    expect(human.stdout).not.toContain('More:');
    const paged = await cliB(['requests', 'list', '--limit', '1', '--after', String(request.id - 1)]);
    expectOk(paged);
    expect(paged.stdout).toContain(`request ${request.id}`);
    expect(paged.stdout).toContain(`More: agent-p2p requests list --after ${request.id} --limit 1`);
    const beyond = await cliB(['requests', 'list', '--after', String(request.id)]);
    expectOk(beyond);
    expect(beyond.stdout).toContain('No contact requests.');
    expectFailure(await cliB(['requests', 'list', '--limit', '0']), 2, '--limit');

    const approved = await cliB(['requests', 'approve', String(request.id)]);
    expectOk(approved);
    expect(approved.stdout).toContain('Approved');
    bContactId = (await b.client().listContacts('active')).find((c) => c.portalUrl === a.url)!.id;
    await waitFor('A to see the contact active', async () => (await a.client().getContact(aContactId)).status === 'active');

    expectFailure(await cliB(['requests', 'approve', '9999']), 1, '9999');
    expectFailure(await cliB(['requests', 'reject', '9999']), 1, '9999');
  });

  it("a peer's name with terminal escapes is printed harmlessly", async () => {
    // The Portal drops C1 and bidi controls from the peer's name when the peer sends it.
    const listed = await cliA(['contacts', 'list']);
    expectOk(listed);
    expect(listed.stdout).not.toMatch(/[\u0080-\u009f\u202e]/);
    expect(listed.stdout).toContain('Bob31m agent');
    expect(listed.stdout).toMatch(new RegExp(`^${aContactId}\\s+active\\s`, 'm'));

    // A record holding a raw ESC (planted directly, as an older Portal could have stored it).
    await a.app.get(DataSource).getRepository(Contact).update({ id: aContactId }, { agentName: EVIL_NAME });
    const result = await cliA(['contacts', 'list']);
    expectOk(result);
    expect(result.stdout).not.toContain(ESC);
    expect(result.stdout).toContain('Bob\\x1b[31m agent\\x1b[0m');
    const json = await cliA(['contacts', 'list', '--json']);
    expectOk(json);
    expect(json.stdout).not.toContain(ESC);
    expect((JSON.parse(json.stdout) as Array<{ agentName: string }>)[0].agentName).toBe(EVIL_NAME);
  });

  it('send (both forms, stdin, --id twice = one message) delivers to the other Portal', async () => {
    const first = await cliA(['send', '--to', String(aContactId), 'hello', 'one']);
    expectOk(first);
    expect(first.stdout).toMatch(new RegExp(`^Message [0-9a-f-]{36} to contact ${aContactId}: `));
    expectOk(await cliA(['send', 'hello two', '--to-contact', String(aContactId)]));
    expectOk(await cliA(['send', '--to', String(aContactId), '-'], { input: 'hello three from stdin\n' }));
    const id = randomUUID();
    const once = await cliA(['send', '--to', String(aContactId), '--id', id, '--json', 'hello idempotent']);
    const twice = await cliA(['send', '--to', String(aContactId), '--id', id, '--json', 'hello idempotent']);
    expectOk(once);
    expectOk(twice);
    expect(JSON.parse(once.stdout).id).toBe(id);
    expect(JSON.parse(twice.stdout).id).toBe(id);

    const arrived = await waitFor('B to receive four messages', async () => {
      const page = await b.client().listMessages({ contactId: bContactId });
      return page.messages.length >= 4 ? page.messages : undefined;
    });
    expect(arrived.map((m) => m.content)).toEqual(['hello one', 'hello two', 'hello three from stdin', 'hello idempotent']);
    expect((await a.client().listMessages({ q: 'idempotent' })).messages).toHaveLength(1);
  });

  it('an unknown contact: exit 1 with one line', async () => {
    expectFailure(await cliA(['send', '--to', '999', 'hello']), 1, '999');
    expectFailure(await cliA(['messages', '--with', '999']), 1, '999');
    expectFailure(await cliA(['contacts', 'remove', '999']), 1, '999');
  });

  it('messages: --with, --search, cursors both ways, escaped peer text', async () => {
    await b.client().sendMessage(bContactId, `reply ${ESC}[2J${ESC}]0;pwned\u0007 from Bob\nsecond line`);
    await waitFor('A to receive the reply', async () => (await a.client().listMessages({ q: 'from Bob' })).messages.length === 1);

    const human = await cliA(['messages', '--with', String(aContactId)]);
    expectOk(human);
    expect(human.stdout).not.toContain(ESC);
    expect(human.stdout).not.toContain('\u0007');
    // The peer's text on one framed line, its newline shown as \n.
    expect(human.stdout).toContain('\n    <<<untrusted reply \\x1b[2J\\x1b]0;pwned\\x07 from Bob\\nsecond line >>>\n');
    expect(human.stdout).toMatch(
      new RegExp(`from contact ${aContactId} \\(<<<untrusted Bob\\\\x1b\\[31m agent\\\\x1b\\[0m >>>\\)  id [0-9a-f-]{36}`),
    );
    expect(human.stdout).toMatch(new RegExp(`to contact ${aContactId} .*  id [0-9a-f-]{36}  \\[`));

    const searched = await cliA(['messages', '--search', 'HELLO', '--json']);
    expectOk(searched);
    const found = JSON.parse(searched.stdout) as { messages: Array<{ content: string; cursor: number }>; hasMore: boolean };
    expect(found.messages.map((m) => m.content)).toEqual(['hello one', 'hello two', 'hello three from stdin', 'hello idempotent']);

    const newest = JSON.parse((await cliA(['messages', '--search', 'hello', '--limit', '2', '--json'])).stdout) as typeof found;
    expect(newest.messages.map((m) => m.content)).toEqual(['hello three from stdin', 'hello idempotent']);
    expect(newest.hasMore).toBe(true);
    const older = JSON.parse(
      (await cliA(['messages', '--search', 'hello', '--before', String(newest.messages[0].cursor), '--json'])).stdout,
    ) as typeof found;
    expect(older.messages.map((m) => m.content)).toEqual(['hello one', 'hello two']);
    const newer = JSON.parse(
      (await cliA(['messages', '--search', 'hello', '--after', String(older.messages[0].cursor), '--limit', '1', '--json'])).stdout,
    ) as typeof found;
    expect(newer.messages.map((m) => m.content)).toEqual(['hello two']);
    expect(newer.hasMore).toBe(true);

    const paged = await cliA(['messages', '--search', 'hello', '--limit', '2']);
    expectOk(paged);
    expect(paged.stdout).toContain(`More: agent-p2p messages --search "hello" --before ${newest.messages[0].cursor}`);
  });

  it('events --after: readable lines and JSON, never acknowledged', async () => {
    const all = await cliB(['events', '--after', '0', '--json']);
    expectOk(all);
    const list = JSON.parse(all.stdout) as {
      events: Array<{ seq: number; type: string; payload: Record<string, unknown> }>;
      lastSeq: number;
    };
    const types = list.events.map((e) => e.type);
    expect(types).toContain('contact.request_received');
    expect(types.filter((t) => t === 'message.received')).toHaveLength(4);
    const firstMessage = list.events.find((e) => e.type === 'message.received')!;

    const after = JSON.parse((await cliB(['events', '--after', String(firstMessage.seq), '--json'])).stdout) as typeof list;
    expect(after.events.every((e) => e.seq > firstMessage.seq)).toBe(true);
    expect(after.events.filter((e) => e.type === 'message.received')).toHaveLength(3);

    const human = await cliB(['events', '--after', '0']);
    expectOk(human);
    expect(human.stdout).toMatch(
      new RegExp(
        `^#${firstMessage.seq}  .*message\\.received  from <<<untrusted Alice's agent >>> \\(contact ${bContactId}\\), message [0-9a-f-]{36}: <<<untrusted hello one >>>$`,
        'm',
      ),
    );
    expect(human.stdout).toContain(`Last seq ${list.lastSeq}`);

    // Reading never acks: without --after, everything is still there.
    const unacked = JSON.parse((await cliB(['events', '--json'])).stdout) as typeof list;
    expect(unacked.events.map((e) => e.seq)).toEqual(list.events.map((e) => e.seq));

    const aEvents = await cliA(['events', '--after', '0']);
    expectOk(aEvents);
    expect(aEvents.stdout).not.toContain(ESC);
    expect(aEvents.stdout).toContain('contact.accepted');
  });

  it('events --follow prints one JSON line per event as it comes', async () => {
    const lastSeq = (await b.client().listEvents({ after: 0, limit: 500 })).lastSeq;
    const child = spawn(process.execPath, [CLI, 'events', '--follow', '--json', '--after', String(lastSeq), ...flagsB], {
      env: { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, '.config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      // Keep sending until the stream (which may still be connecting) prints one.
      await waitFor('the followed event', async () => {
        if (!stdout.includes('followed')) await a.client().sendMessage(aContactId, `followed ${Date.now()}`);
        return stdout.includes('followed') || undefined;
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n');
    const event = JSON.parse(lines[0]) as { seq: number; type: string; payload: { content: string } };
    expect(event.seq).toBeGreaterThan(lastSeq);
    expect(event.type).toBe('message.received');
    expect(event.payload.content).toMatch(/^followed /);
    expect(stderr).toBe('');
    // --follow never acks either.
    expect((await b.client().listEvents({ limit: 500 })).events.some((e) => e.seq === event.seq)).toBe(true);
  });

  it('guestbook list shows visitor entries with ids, escaped', async () => {
    await createPortalVisitorEntry(a.url, 'Eve', 'Nice portal');
    await a.app
      .get(DataSource)
      .getRepository(GuestbookEntry)
      .update({ name: 'Eve' }, { name: `Eve${ESC}[1m` });
    const human = await cliA(['guestbook', 'list']);
    expectOk(human);
    expect(human.stdout).toMatch(/^entry \d+ .* <<<untrusted Eve\\x1b\[1m >>> {2}\(unread\)\n {4}<<<untrusted Nice portal >>>$/m);
    const json = await cliA(['guestbook', 'list', '--unread', '--json']);
    expectOk(json);
    expect(JSON.parse(json.stdout).entries).toHaveLength(1);
  });

  it('owner history shows what the owner wrote; owner reply answers as the agent', async () => {
    const cookie = await a.login();
    const posted = await fetch(`${a.url}/api/owner-chat/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-requested-with': 'agent-p2p' },
      body: JSON.stringify({ content: 'Please say hi to Bob' }),
    });
    expect(posted.status).toBe(201);
    const history = await cliA(['owner', 'history']);
    expectOk(history);
    expect(history.stdout).toMatch(/^#\d+ .* owner\n {4}Please say hi to Bob$/m);
    const reply = await cliA(['owner', 'reply', 'Done,', 'I', 'said', 'hi']);
    expectOk(reply);
    expect(reply.stdout).toMatch(/^Reply [0-9a-f-]{36} posted to your owner\.$/m);
    const page = await a.client().listOwnerChatMessages();
    expect(page.messages.map((m) => [m.role, m.content])).toEqual([
      ['owner', 'Please say hi to Bob'],
      ['agent', 'Done, I said hi'],
    ]);
    expectFailure(await cliA(['owner', 'reply', '  ']), 2, 'empty');
    const json = await cliA(['owner', 'history', '--json', '--limit', '1']);
    expectOk(json);
    expect(JSON.parse(json.stdout)).toMatchObject({ hasMore: true, messages: [{ role: 'agent' }] });
  });

  it('profile set and me', async () => {
    const set = await cliA(['profile', 'set', '--bio', 'Answers for Alice', '--avatar-text', 'A']);
    expectOk(set);
    const me = await cliA(['me']);
    expectOk(me);
    expect(me.stdout).toMatch(/Bio:\s+Answers for Alice/);
    expect(me.stdout).toMatch(/Agent:\s+Alice's agent/);
  });

  it('keys create, list, revoke; a revoked key then fails with exit 1 and one line', async () => {
    const created = await cliA(['keys', 'create', 'laptop', '--json']);
    expectOk(created);
    const key = JSON.parse(created.stdout) as { id: string; key: string; name: string };
    expect(key.key).toMatch(/^ap2p_o_/);

    const withNewKey = await cliA(['me', '--json'], { env: { AGENTP2P_API_KEY: key.key } });
    expectOk(withNewKey);

    const listed = await cliA(['keys', 'list']);
    expectOk(listed);
    expect(listed.stdout).toMatch(new RegExp(`^${key.id}\\s+laptop\\s`, 'm'));
    expect(listed.stdout).not.toContain(key.key);

    const human = await cliA(['keys', 'create', 'phone']);
    expectOk(human);
    expect(human.stdout).toMatch(/\nap2p_o_\S+\n$/);

    expectOk(await cliA(['keys', 'revoke', key.id]));
    expectFailure(await cliA(['me'], { env: { AGENTP2P_API_KEY: key.key } }), 1, 'refused the key');
    expectFailure(await cliA(['keys', 'revoke', randomUUID()]), 1);
    expectFailure(await cliA(['keys', 'revoke', 'nope']), 2, 'UUID');
  });

  it('bridge status: says when the Bridge never ran, shows its status file', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'ap2p-cli-bridge-'));
    try {
      expectFailure(await runIn(fresh, ['bridge', 'status']), 1, 'bridge-status.json');
      const dir = join(fresh, '.config', 'agent-p2p');
      mkdirSync(dir, { recursive: true });
      const status = {
        pid: 4242,
        hubUrl: a.url,
        gatewayUrl: 'http://127.0.0.1:18789',
        connection: 'connected',
        since: '2026-11-25T09:00:00.000Z',
        lastEvent: { seq: 7, id: randomUUID(), type: 'message.received', at: '2026-11-25T09:01:00.000Z' },
        lastWake: { eventId: randomUUID(), status: 401, at: '2026-11-25T09:01:01.000Z', message: `hooks token refused${ESC}[0m` },
        lastAckedSeq: 6,
        errors: [{ at: '2026-11-25T09:01:01.000Z', message: 'gateway answered 401' }],
        updatedAt: '2026-11-25T09:01:02.000Z',
        wakeMode: 'agent',
        pending: { seq: 7, id: randomUUID(), type: 'message.received', attempts: 3, nextAttemptAt: '2026-11-25T09:02:00.000Z' },
        fatal: null,
      };
      writeFileSync(join(dir, 'bridge-status.json'), JSON.stringify(status));
      const human = await runIn(fresh, ['bridge', 'status']);
      expectOk(human);
      expect(human.stdout).toMatch(/Connection:\s+connected since 2026-11-25 09:00:00Z \(pid 4242\)/);
      expect(human.stdout).toContain('#7 message.received');
      expect(human.stdout).toContain('gateway answered 401');
      expect(human.stdout).toMatch(/Wake mode:\s+agent/);
      expect(human.stdout).toMatch(/Pending:\s+#7 message\.received .*, 3 attempts, next 2026-11-25 09:02:00Z/);
      expect(human.stdout).not.toContain(ESC);
      const json = await runIn(fresh, ['bridge', 'status', '--json']);
      expectOk(json);
      expect(JSON.parse(json.stdout)).toEqual(status);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('contacts remove', async () => {
    const removed = await cliA(['contacts', 'remove', String(aContactId)]);
    expectOk(removed);
    expect(removed.stdout).toContain(`Contact ${aContactId}`);
    expect((await a.client().getContact(aContactId)).status).toBe('removed');
    expectFailure(await cliA(['send', '--to', String(aContactId), 'still there?']), 1);
  });
});

async function createPortalVisitorEntry(url: string, name: string, message: string): Promise<void> {
  const response = await fetch(`${url}/api/guestbook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, message }),
  });
  if (!response.ok) throw new Error(`guestbook entry: ${response.status} ${await response.text()}`);
}
