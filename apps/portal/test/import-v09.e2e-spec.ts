import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { importV09, V09RefusedError, type V09ImportReport } from '../src/importer/v09-importer';
import { formatV09Report } from '../src/importer/v09-report';
import { connect, eventsOf, startPeer, statusOf, TestPortal, V09Fixture, type V09FixtureOptions, waitFor } from '@agent-p2p/testing';
const OLD = 'https://alice-old.example.com';
const BOB = 'https://bob.example.com';
const CAROL = 'https://carol.example.com';

const portals: TestPortal[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const portal of portals) await portal.destroy();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function portal(env: Record<string, string> = {}): Promise<TestPortal> {
  const started = await TestPortal.start({ env });
  portals.push(started);
  return started;
}

function fixture(options: V09FixtureOptions = {}): V09Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'ap2p-v09-'));
  dirs.push(dir);
  return new V09Fixture(join(dir, 'portal.db'), options);
}

/** Runs the importer on a Portal's database as an operator would: the Portal stopped, then started again. */
async function importInto(target: TestPortal, path: string, dryRun = false): Promise<V09ImportReport> {
  await target.stop();
  try {
    return await importV09({
      sourcePath: path,
      config: target.config,
      dryRun,
      database: target.schema ? { postgresSchema: target.schema } : undefined,
    });
  } finally {
    await target.start();
  }
}

/**
 * A file's content from GET /api/files/{id}/content on a connection of its own that closes after the
 * answer: the test stops the Portal right after, and a kept-alive socket could hold that up.
 */
function download(target: TestPortal, id: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const request = get(
      `${target.url}/api/files/${id}/content`,
      { agent: false, headers: { authorization: `Bearer ${target.ownerKey}` } },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          response.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`status ${response.statusCode}`)),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
  });
}

/** A v0.9 database as `init_db` wrote it: two contacts, both directions, owner chat, guestbook, one owner key. */
function standardFixture(): V09Fixture {
  return fixture({ ownUrl: OLD })
    .insert('contacts', [
      {
        portal_url: BOB,
        display_name: 'Bob (display)',
        agent_name: 'bob-agent',
        user_name: 'Bob',
        SHARED_KEY: 'v09-secret-1',
        is_verified: 1,
        created_at: '2025-01-10 09:00:00',
      },
      {
        portal_url: `${CAROL}/`,
        display_name: 'Carol',
        agent_name: null,
        user_name: null,
        SHARED_KEY: 'v09-secret-2',
        is_verified: 0,
        created_at: '2025-01-11 08:00:00',
      },
    ])
    .insert('messages', [
      { from_portal: OLD, to_portal: BOB, content: 'hi bob', is_delivered: 1, created_at: '2025-01-10 09:05:00' },
      { from_portal: BOB, to_portal: OLD, content: 'hi alice', is_delivered: 1, created_at: '2025-01-10 09:06:00' },
      { from_portal: OLD, to_portal: BOB, content: 'how are you?', is_delivered: 0, created_at: '2025-01-10 09:07:00.250000' },
      {
        from_portal: BOB,
        to_portal: OLD,
        content: 'fine',
        message_type: 'file',
        file_url: 'https://bob.example.com/f/1',
        is_delivered: 1,
        created_at: '2025-01-10T09:08:00+00:00',
      },
      { from_portal: CAROL, to_portal: OLD, content: 'carol here', is_delivered: 1, created_at: '2025-01-11 10:00:00' },
      // Written later but sent earlier (v0.9 ids are insertion order; history follows the times).
      { from_portal: BOB, to_portal: OLD, content: 'early reply', is_delivered: 1, created_at: '2025-01-10 09:05:30' },
    ])
    .insert('owner_chats', [
      { role: 'owner', content: 'hello agent', created_at: '2025-01-09 08:00:00' },
      { role: 'assistant', content: 'hello owner', created_at: '2025-01-09 08:00:05.5' },
    ])
    .insert('guest_messages', [
      {
        content: 'nice portal',
        ip_address: '203.0.113.9',
        user_agent: 'curl',
        created_at: '2025-01-08 07:00:00',
        is_read: 1,
        status: 'visible',
      },
      {
        content: 'second visit',
        ip_address: '203.0.113.9',
        user_agent: 'curl',
        created_at: '2025-01-08 07:30:00',
        is_read: 0,
        status: 'visible',
      },
    ])
    .insert('api_keys', [{ key_id: 'ak_plaintext_owner_key', portal_url: OLD, agent_name: 'alice', user_name: 'Alice' }]);
}

describe('importing a v0.9.x database', () => {
  it('shows the contacts, both directions in order with their times, owner chat and guestbook; a second run changes nothing', async () => {
    const target = await portal();
    const source = standardFixture();
    source.close();

    const first = await importInto(target, source.path);
    expect(first.counts).toEqual({
      contacts: { found: 2, imported: 2, alreadyPresent: 0, skipped: 0 },
      messages: { found: 6, imported: 6, alreadyPresent: 0, skipped: 0 },
      ownerChat: { found: 2, imported: 2, alreadyPresent: 0, skipped: 0 },
      guestbook: { found: 2, imported: 2, alreadyPresent: 0, skipped: 0 },
      files: { found: 0, imported: 0, alreadyPresent: 0, skipped: 0 },
    });
    expect(first.ownerKeys).toBe(1);
    const text = formatV09Report(first);
    expect(text).toContain('v0.9 shared keys are not trusted');
    expect(text).toContain('owner key(s) were not imported');
    expect(text).toContain('agent-p2p keys create');
    expect(text).not.toContain('v09-secret');

    const client = target.client();
    const contacts = await client.listContacts();
    expect(contacts.map((c) => [c.portalUrl, c.status, c.agentName, c.ownerName, c.createdAt])).toEqual([
      [BOB, 'imported', 'bob-agent', 'Bob', '2025-01-10T09:00:00.000Z'],
      [CAROL, 'imported', 'Carol', '', '2025-01-11T08:00:00.000Z'],
    ]);
    expect(await client.listContacts('imported')).toHaveLength(2);
    const [bob, carol] = contacts;
    const history = await client.listMessages({ contactId: bob.id });
    expect(history.messages.map((m) => [m.direction, m.status, m.content, m.sentAt])).toEqual([
      ['out', 'delivered', 'hi bob', '2025-01-10T09:05:00.000Z'],
      ['in', 'received', 'early reply', '2025-01-10T09:05:30.000Z'],
      ['in', 'received', 'hi alice', '2025-01-10T09:06:00.000Z'],
      ['out', 'failed', 'how are you?', '2025-01-10T09:07:00.250Z'],
      ['in', 'received', 'fine\n[file: https://bob.example.com/f/1]', '2025-01-10T09:08:00.000Z'],
    ]);
    expect((await client.listMessages({ contactId: carol.id })).messages.map((m) => [m.direction, m.content])).toEqual([
      ['in', 'carol here'],
    ]);
    const chat = await client.listOwnerChatMessages();
    expect(chat.messages.map((m) => [m.role, m.content, m.createdAt])).toEqual([
      ['owner', 'hello agent', '2025-01-09T08:00:00.000Z'],
      ['agent', 'hello owner', '2025-01-09T08:00:05.500Z'],
    ]);
    const guestbook = await client.listGuestbookEntries();
    expect(guestbook.entries.map((e) => [e.message, e.read, e.createdAt])).toEqual([
      ['nice portal', true, '2025-01-08T07:00:00.000Z'],
      ['second visit', false, '2025-01-08T07:30:00.000Z'],
    ]);
    // History is not news: no events, so no Bridge wakes the agent for old messages.
    expect((await client.listEvents({ after: 0 })).events).toEqual([]);
    // An imported contact cannot be written to, and the answer says what to do.
    const refused = await fetch(`${target.url}/api/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.ownerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: bob.id, content: 'still there?' }),
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toMatch(/imported from v0\.9.*POST \/api\/contacts/);

    const second = await importInto(target, source.path);
    expect(second.counts).toEqual({
      contacts: { found: 2, imported: 0, alreadyPresent: 2, skipped: 0 },
      messages: { found: 6, imported: 0, alreadyPresent: 6, skipped: 0 },
      ownerChat: { found: 2, imported: 0, alreadyPresent: 2, skipped: 0 },
      guestbook: { found: 2, imported: 0, alreadyPresent: 2, skipped: 0 },
      files: { found: 0, imported: 0, alreadyPresent: 0, skipped: 0 },
    });
    // An entry the owner deleted since is not brought back either.
    await client.deleteGuestbookEntry(guestbook.entries[0].id);
    expect((await importInto(target, source.path)).counts.guestbook.imported).toBe(0);
    expect(await target.client().listContacts()).toHaveLength(2);
    expect((await target.client().listMessages({})).messages).toHaveLength(6);
    expect((await target.client().listOwnerChatMessages()).messages).toHaveLength(2);
    expect((await target.client().listGuestbookEntries()).entries).toHaveLength(1);
  }, 60_000);

  it('reads the renamed DISPLAY_NAME, old columns, odd timestamps and file tables; bad rows are skipped with their reason', async () => {
    const target = await portal({ PORTAL_FILE_CHUNK_BYTES: '1024', PORTAL_FILE_MIN_CHUNK_BYTES: '1024' });
    const source = fixture({ renamedDisplayName: true, oldColumns: true, fileTables: true, ownerTables: false });
    const pdf = Buffer.from(Array.from({ length: 3700 }, (_, i) => (i * 7) % 256));
    const note = Buffer.from('a local note\n');
    source
      .insert('contacts', [
        { portal_url: BOB, DISPLAY_NAME: 'Bob Renamed', SHARED_KEY: 'k', created_at: 1736499600 },
        { portal_url: 'not a url', DISPLAY_NAME: 'Broken', SHARED_KEY: 'k', created_at: '2025-01-10 09:00:00' },
      ])
      .insert('messages', [
        // No config table: directions come from which side is a contact.
        { from_portal: 'https://me.example.com', to_portal: BOB, content: 'epoch seconds', is_delivered: 1, created_at: 1736500000 },
        {
          from_portal: BOB,
          to_portal: 'https://me.example.com',
          content: 'with an offset',
          is_delivered: 1,
          created_at: '2025-01-10T11:08:00.123+02:00',
        },
        { from_portal: BOB, to_portal: 'https://me.example.com', content: 'a date alone', is_delivered: 1, created_at: '2025-01-11' },
        { from_portal: BOB, to_portal: 'https://me.example.com', content: 'bad time', is_delivered: 1, created_at: 'yesterday' },
        { from_portal: BOB, to_portal: 'https://me.example.com', content: null, is_delivered: 1, created_at: '2025-01-12 00:00:00' },
        {
          from_portal: BOB,
          to_portal: 'https://me.example.com',
          content: { sql: "CAST(X'C328' AS TEXT)" },
          is_delivered: 1,
          created_at: '2025-01-12 00:00:01',
        },
        {
          from_portal: 'https://stranger.example.com',
          to_portal: 'https://me.example.com',
          content: 'who?',
          is_delivered: 1,
          created_at: '2025-01-12 00:00:02',
        },
        // PostgreSQL text cannot hold NUL: it is dropped, the message kept.
        {
          from_portal: BOB,
          to_portal: 'https://me.example.com',
          content: 'nul\u0000inside',
          is_delivered: 1,
          created_at: '2025-01-11 00:00:01',
        },
      ])
      .addFile({
        id: 'f-1',
        name: 'report.pdf',
        status: 'completed',
        fromPortal: BOB,
        toPortal: 'https://me.example.com',
        createdAt: '2025-01-10 10:00:00',
        bytes: pdf,
        split: [1500, 1500, 700],
      })
      .addFile({
        id: 'f-2',
        name: '../../note.txt',
        status: 'completed',
        fromPortal: 'https://me.example.com',
        toPortal: BOB,
        createdAt: '2025-01-10 10:01:00',
        bytes: note,
        split: [note.length],
      })
      .addFile({
        id: 'f-3',
        name: 'half.bin',
        status: 'in_progress',
        fromPortal: BOB,
        toPortal: 'https://me.example.com',
        createdAt: '2025-01-10 10:02:00',
        bytes: pdf,
        split: [1500],
      })
      .addFile({
        id: 'f-4',
        name: 'gap.bin',
        status: 'completed',
        fromPortal: BOB,
        toPortal: 'https://me.example.com',
        createdAt: '2025-01-10 10:03:00',
        bytes: pdf,
        split: [1500, 1500, 700],
      });
    source.db.prepare("DELETE FROM file_chunks WHERE file_id = 'f-4' AND chunk_index = 1").run();
    source.close();

    const report = await importInto(target, source.path);
    expect(report.counts.contacts).toEqual({ found: 2, imported: 1, alreadyPresent: 0, skipped: 1 });
    expect(report.counts.messages).toEqual({ found: 8, imported: 4, alreadyPresent: 0, skipped: 4 });
    expect(report.counts.files).toEqual({ found: 4, imported: 2, alreadyPresent: 0, skipped: 2 });
    expect(report.absentTables).toEqual(['owner_chats', 'guest_messages']);
    expect(report.skipped.map((s) => `${s.kind} ${s.sourceId}: ${s.reason}`).sort()).toEqual(
      [
        'contacts 2: portal_url is not an http(s) URL without credentials, query or fragment',
        'files f-3: not completed in v0.9 (status in_progress)',
        'files f-4: chunk 1 is missing',
        'messages 4: created_at is missing or not a time',
        'messages 5: content is NULL',
        'messages 6: content is not UTF-8 text',
        'messages 7: neither from_portal nor to_portal is this Portal or a contact',
      ].sort(),
    );

    const client = target.client();
    const [bob] = await client.listContacts();
    expect([bob.portalUrl, bob.status, bob.agentName, bob.createdAt]).toEqual([BOB, 'imported', 'Bob Renamed', '2025-01-10T09:00:00.000Z']);
    const history = await client.listMessages({ contactId: bob.id });
    expect(history.messages.map((m) => [m.direction, m.content, m.sentAt])).toEqual([
      ['out', 'epoch seconds', '2025-01-10T09:06:40.000Z'],
      ['in', 'with an offset', '2025-01-10T09:08:00.123Z'],
      ['in', 'a date alone', '2025-01-11T00:00:00.000Z'],
      ['in', 'nulinside', '2025-01-11T00:00:01.000Z'],
    ]);

    // The completed file from Bob is reassembled into this Portal's chunks, with its SHA-256.
    const received = await client.listFiles({ contactId: bob.id });
    expect(received.map((f) => [f.direction, f.status, f.name, f.size, f.sha256, f.chunkSize, f.chunks, f.contentAvailable])).toEqual([
      ['in', 'received', 'report.pdf', 3700, createHash('sha256').update(pdf).digest('hex'), 1024, 4, true],
    ]);
    expect((await download(target, received[0].id)).equals(pdf)).toBe(true);
    const local = await client.listFiles({ direction: 'local' });
    expect(local.map((f) => [f.status, f.name, f.size])).toEqual([['stored', 'note.txt', note.length]]);
    expect((await download(target, local[0].id)).equals(note)).toBe(true);

    const again = await importInto(target, source.path);
    expect(again.counts.files).toEqual({ found: 4, imported: 0, alreadyPresent: 2, skipped: 2 });
    expect(readdirSync(join(target.dataDir, 'files')).sort()).toEqual([received[0].id, local[0].id].sort());
  }, 60_000);

  it('a dry run counts what it would import and writes nothing', async () => {
    const target = await portal();
    const source = standardFixture();
    source.close();
    const report = await importInto(target, source.path, true);
    expect(report.dryRun).toBe(true);
    expect(report.counts.contacts).toEqual({ found: 2, imported: 2, alreadyPresent: 0, skipped: 0 });
    expect(report.counts.messages).toEqual({ found: 6, imported: 6, alreadyPresent: 0, skipped: 0 });
    expect(formatV09Report(report)).toContain('DRY RUN, nothing was written');
    const client = target.client();
    expect(await client.listContacts()).toEqual([]);
    expect((await client.listMessages({})).messages).toEqual([]);
    expect((await client.listOwnerChatMessages()).messages).toEqual([]);
    expect((await client.listGuestbookEntries()).entries).toEqual([]);
    // After a real import, a dry run finds everything present.
    await importInto(target, source.path);
    const after = await importInto(target, source.path, true);
    expect(after.counts.messages).toEqual({ found: 6, imported: 0, alreadyPresent: 6, skipped: 0 });
  }, 60_000);

  it('refuses a file that is not SQLite, or lacks a table or a column, with its reason, writing nothing', async () => {
    const target = await portal();
    const dir = mkdtempSync(join(tmpdir(), 'ap2p-v09-bad-'));
    dirs.push(dir);
    const notSqlite = join(dir, 'notes.txt');
    writeFileSync(notSqlite, 'this is not a database\n'.repeat(20));
    const noTable = fixture();
    noTable.db.exec('DROP TABLE messages');
    noTable.close();
    const noColumn = fixture({ ownUrl: OLD });
    noColumn.insert('contacts', [{ portal_url: BOB, created_at: '2025-01-10 09:00:00' }]);
    noColumn.db.exec('ALTER TABLE messages DROP COLUMN content');
    noColumn.close();
    const cases: Array<[string, RegExp]> = [
      [notSqlite, /is not a SQLite database/],
      [join(dir, 'missing.db'), /cannot read .*missing\.db: ENOENT/],
      [noTable.path, /no messages table: not a v0\.9\.x Agent P2P database/],
      [noColumn.path, /table messages has no column content/],
    ];
    for (const [path, reason] of cases) {
      const outcome = importInto(target, path);
      await expect(outcome).rejects.toThrow(V09RefusedError);
      await expect(outcome).rejects.toThrow(reason);
    }
    expect(await target.client().listContacts()).toEqual([]);
  }, 60_000);

  it('a new handshake with an imported contact reuses it on both sides, history included', async () => {
    const a = await startPeer();
    const b = await startPeer();
    portals.push(a, b);
    const aHistory = fixture({ ownUrl: 'https://a-v09.example.com' });
    aHistory.insert('contacts', [{ portal_url: b.url, agent_name: 'b-old', created_at: '2025-01-10 09:00:00' }]);
    aHistory.insert('messages', [
      {
        from_portal: 'https://a-v09.example.com',
        to_portal: b.url,
        content: 'from v0.9',
        is_delivered: 1,
        created_at: '2025-01-10 09:05:00',
      },
    ]);
    aHistory.close();
    const bHistory = fixture({ ownUrl: 'https://b-v09.example.com' });
    bHistory.insert('contacts', [{ portal_url: a.url, agent_name: 'a-old', created_at: '2025-01-10 09:00:00' }]);
    bHistory.insert('messages', [
      {
        from_portal: a.url,
        to_portal: 'https://b-v09.example.com',
        content: 'from v0.9',
        is_delivered: 1,
        created_at: '2025-01-10 09:05:00',
      },
    ]);
    bHistory.close();
    await importInto(a, aHistory.path);
    await importInto(b, bHistory.path);
    const [aImported] = await a.client().listContacts();
    const [bImported] = await b.client().listContacts();

    // Not a 409: asking again is how an imported contact comes back to life.
    const { aContactId, bContactId } = await connect(a, b);
    expect(aContactId).toBe(aImported.id);
    expect(bContactId).toBe(bImported.id);
    expect(await a.client().listContacts()).toEqual([
      expect.objectContaining({ id: aImported.id, status: 'active', createdAt: '2025-01-10T09:00:00.000Z' }),
    ]);
    expect(await b.client().listContacts()).toEqual([
      expect.objectContaining({ id: bImported.id, status: 'active', direction: 'incoming' }),
    ]);

    const sent = await a.client().sendMessage(aContactId, 'from the new Portal');
    await waitFor('delivery', async () => (await a.client().getMessage(sent.id)).status === 'delivered');
    expect((await a.client().listMessages({ contactId: aContactId })).messages.map((m) => m.content)).toEqual([
      'from v0.9',
      'from the new Portal',
    ]);
    expect((await b.client().listMessages({ contactId: bContactId })).messages.map((m) => m.content)).toEqual([
      'from v0.9',
      'from the new Portal',
    ]);
    expect(await eventsOf(b, 'message.received')).toHaveLength(1);
    expect(await statusOf(a.client().createContact(b.url))).toBe(409);
  }, 60_000);

  it('a failure part-way leaves nothing: no rows, no files; the next run imports everything', async () => {
    const target = await portal({ PORTAL_FILE_CHUNK_BYTES: '1024', PORTAL_FILE_MIN_CHUNK_BYTES: '1024' });
    const source = standardFixture();
    source.db.exec(`
      CREATE TABLE file_transfers (file_id TEXT PRIMARY KEY, filename TEXT, status TEXT, from_portal TEXT, created_at TEXT);
      CREATE TABLE file_chunks (file_id TEXT, chunk_index INTEGER, data BLOB);
      INSERT INTO file_transfers VALUES ('f-1', 'a.bin', 'completed', '${BOB}', '2025-01-10 10:00:00');
      INSERT INTO file_chunks VALUES ('f-1', 0, randomblob(3000));
    `);
    source.close();
    // The last write of the import (its records) is refused by the database.
    const database = target.app.get(DataSource);
    const postgres = database.options.type === 'postgres';
    if (postgres) {
      await database.query(
        "CREATE FUNCTION refuse_import() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql",
      );
      await database.query('CREATE TRIGGER refuse_import BEFORE INSERT ON import_records FOR EACH ROW EXECUTE FUNCTION refuse_import()');
    } else {
      await database.query(
        "CREATE TRIGGER refuse_import BEFORE INSERT ON import_records BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
      );
    }
    await expect(importInto(target, source.path)).rejects.toThrow(/refused by the test/);
    const client = target.client();
    expect(await client.listContacts()).toEqual([]);
    expect((await client.listMessages({})).messages).toEqual([]);
    expect((await client.listOwnerChatMessages()).messages).toEqual([]);
    expect((await client.listGuestbookEntries()).entries).toEqual([]);
    expect(await client.listFiles({})).toEqual([]);
    const filesDir = join(target.dataDir, 'files');
    expect(existsSync(filesDir) ? readdirSync(filesDir) : []).toEqual([]);

    await target.app.get(DataSource).query(postgres ? 'DROP TRIGGER refuse_import ON import_records' : 'DROP TRIGGER refuse_import');
    const report = await importInto(target, source.path);
    expect(report.counts.messages.imported).toBe(6);
    expect(report.counts.files.imported).toBe(1);
    expect(await client.listFiles({})).toHaveLength(1);
  }, 60_000);
});

describe('npm run import:v09 (the built command)', () => {
  const script = join(process.cwd(), 'apps/portal/dist/bin/import-v09.js');
  const run = (args: string[], dataDir: string): { code: number | null; stdout: string; stderr: string } => {
    const result = spawnSync(process.execPath, [script, ...args], {
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '', PORTAL_DATA_DIR: dataDir, PORTAL_DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(() => {
    if (!existsSync(script)) {
      const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'apps/portal'], {
        stdio: 'pipe',
        timeout: 120_000,
      });
      if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
    }
  }, 130_000);

  it('prints the report with the warnings, exits 0, and 0 again with everything already present', async () => {
    const source = standardFixture();
    source.close();
    const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-v09-cli-'));
    dirs.push(dataDir);
    const dry = run(['--dry-run', source.path], dataDir);
    expect([dry.code, dry.stderr]).toEqual([0, '']);
    expect(dry.stdout).toMatch(/DRY RUN, nothing was written/);
    expect(dry.stdout).toMatch(/^messages\s+6\s+6\s+0\s+0$/m);
    expect(readdirSync(dataDir)).toEqual([]);
    const first = run([source.path], dataDir);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(first.stdout).toMatch(/^\s+found\s+imported\s+already present\s+skipped$/m);
    expect(first.stdout).toMatch(/^contacts\s+2\s+2\s+0\s+0$/m);
    expect(first.stdout).toContain('v0.9 shared keys are not trusted');
    expect(first.stdout).toContain('the 1 v0.9 owner key(s) were not imported');
    const second = run(['--json', source.path], dataDir);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as V09ImportReport;
    expect(report.counts.messages).toEqual({ found: 6, imported: 0, alreadyPresent: 6, skipped: 0 });

    // The Portal started on that data directory shows what was imported.
    const target = await TestPortal.start({ env: { PORTAL_DATA_DIR: dataDir, PORTAL_DATABASE_URL: '' } });
    portals.push(target);
    expect((await target.client().listContacts()).map((c) => c.status)).toEqual(['imported', 'imported']);
    expect((await target.client().listMessages({})).messages).toHaveLength(6);
  }, 60_000);

  it('refuses a bad file with one line and exit 1; usage mistakes exit 2; --help exits 0', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ap2p-v09-cli-'));
    dirs.push(dataDir);
    const bad = join(dataDir, 'portal.db');
    writeFileSync(bad, Buffer.alloc(4096, 0xff));
    const refused = run([bad], dataDir);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(`import:v09: refused: ${bad} is not a SQLite database\n`);
    const badConfig = spawnSync(process.execPath, [script, bad], {
      env: { PATH: process.env.PATH ?? '', PORTAL_PORT: 'x' },
      encoding: 'utf8',
    });
    expect(badConfig.status).toBe(1);
    expect(badConfig.stderr).toMatch(/^import:v09: refused: .*PORTAL_PORT/);
    expect(badConfig.stderr.trim().split('\n')).toHaveLength(1);
    for (const args of [[], ['a.db', 'b.db'], ['--force', 'a.db']]) {
      const usage = run(args, dataDir);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('Usage: npm run import:v09');
    }
    const help = run(['--help'], dataDir);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toContain('--dry-run');
    expect(readdirSync(dataDir)).toEqual(['portal.db']);
  }, 60_000);
});
