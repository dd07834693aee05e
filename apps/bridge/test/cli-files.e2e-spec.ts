import { createPortalClient } from '@agent-p2p/sdk';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connect,
  ensureCliBuilt,
  expectFailure,
  expectOk,
  freePort,
  type Result,
  runIn as run,
  startPeer,
  type TestPortal,
  waitFor,
} from '@agent-p2p/testing';
/** The files tests work in the temporary home and allow long transfers. */
const runIn = (home: string, args: string[], env: Record<string, string> = {}): Promise<Result> =>
  run(home, args, { env, cwd: home, timeoutMs: 60_000 });

/** Small chunks so a few MB make many of them. */
const FILE_ENV = { PORTAL_FILE_CHUNK_BYTES: String(256 * 1024) };

/** Deterministic bytes (not all equal, so a misplaced chunk changes the hash). */
function content(size: number, seed: number): Buffer {
  const buffer = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buffer[i] = x & 0xff;
  }
  return buffer;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('agent-p2p files commands against real Portals', () => {
  let a: TestPortal;
  let b: TestPortal;
  let home: string;
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  let aContactId = 0;
  let bContactId = 0;
  const cliA = (args: string[]) => runIn(home, args, envA);
  const cliB = (args: string[]) => runIn(home, args, envB);

  beforeAll(async () => {
    ensureCliBuilt();
    home = mkdtempSync(join(tmpdir(), 'ap2p-cli-files-'));
    [a, b] = await Promise.all([startPeer({ env: FILE_ENV }), startPeer({ env: FILE_ENV })]);
    ({ aContactId, bContactId } = await connect(a, b));
    envA = { AGENTP2P_HUB_URL: a.url, AGENTP2P_API_KEY: a.ownerKey };
    envB = { AGENTP2P_HUB_URL: b.url, AGENTP2P_API_KEY: b.ownerKey };
  });

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  /** B's copy of a file A sent, once B verified it. */
  async function receivedAtB(sha: string) {
    return waitFor(
      'B to receive the file',
      async () => (await b.client().listFiles({ direction: 'in' })).find((f) => f.sha256 === sha && f.status === 'received'),
      60_000,
    );
  }

  it('--help of the file commands exits 0 and names their options', async () => {
    const cases: Array<[string[], string[]]> = [
      [[], ['send-file', 'files list', 'files get']],
      [['send-file'], ['--to ID', '--id UUID', '--mime TYPE', '-f, --file PATH', 'send_file -f <path> -t <contact-id>', 'files show']],
      [['send_file'], ['-t, --to ID', '-f, --file PATH']],
      [['files'], ['files list', 'files show', 'files get', 'files delete']],
      [
        ['files', 'list'],
        ['--with', '--direction'],
      ],
      [['files', 'show'], ['<file-id>']],
      [
        ['files', 'get'],
        ['-o, --output DIR', '--force', 'SHA-256'],
      ],
      [['files', 'delete'], ['<file-id>']],
    ];
    for (const [words, expected] of cases) {
      const result = await runIn(home, [...words, '--help']);
      expectOk(result);
      for (const text of [...expected, 'Exit codes', '--json']) expect(`${words.join(' ')}: ${result.stdout}`).toContain(text);
    }
  });

  it('send-file of a few MB A→B: B lists it and files get saves the exact bytes; a rerun with --id sends nothing twice', async () => {
    const data = content(3 * 1024 * 1024 + 12345, 7);
    const path = join(home, 'data.bin');
    writeFileSync(path, data);
    const id = randomUUID();
    const sent = await cliA(['send-file', '--to', String(aContactId), path, '--id', id, '--mime', 'application/x-test']);
    expect(sent.code).toBe(0);
    expect(sent.stderr).toMatch(/^sent 3\.01 MiB of 3\.01 MiB in [\d.]+ s \(.+\/s\)\n$/);
    expect(sent.stdout).toContain(`File ${id} (data.bin, 3.01 MiB) is on your Portal`);
    expect(sent.stdout).toContain(`agent-p2p files show ${id}`);
    const atA = await a.client().getFile(id);
    expect(atA).toMatchObject({ direction: 'out', name: 'data.bin', size: data.length, sha256: sha256(data), mime: 'application/x-test' });
    expect(atA.receivedRanges).toEqual([[0, atA.chunks - 1]]);
    expect(atA.chunks).toBe(13);

    // The same command again: nothing uploaded, same file, no second upload.
    const again = await cliA(['send-file', '--to', String(aContactId), path, '--id', id, '--mime', 'application/x-test', '--json']);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(again.stdout)).toMatchObject({ id, sha256: sha256(data) });
    expect((await a.client().listFiles({ direction: 'out' })).filter((f) => f.sha256 === sha256(data))).toHaveLength(1);

    const shown = await cliA(['files', 'show', id]);
    expectOk(shown);
    expect(shown.stdout).toContain('Chunks:');
    expect(shown.stdout).toContain('13 of 13 here');

    const atB = await receivedAtB(sha256(data));
    const listed = await cliB(['files', 'list', '--with', String(bContactId)]);
    expectOk(listed);
    expect(listed.stdout).toContain(atB.id);
    expect(listed.stdout).toContain('data.bin');
    expect(listed.stdout).toContain('received');
    const listedJson = await cliB(['files', 'list', '--json']);
    expect(JSON.parse(listedJson.stdout).map((f: { id: string }) => f.id)).toContain(atB.id);

    const dir = join(home, 'get-1');
    mkdirSync(dir);
    const got = await cliB(['files', 'get', atB.id, '-o', dir]);
    expectOk(got);
    expect(got.stdout).toContain('SHA-256 verified');
    expect(readdirSync(dir)).toEqual(['data.bin']);
    expect(sha256(readFileSync(join(dir, 'data.bin')))).toBe(sha256(data));

    // Never overwrites without --force; with it, replaces.
    writeFileSync(join(dir, 'data.bin'), 'mine');
    expectFailure(await cliB(['files', 'get', atB.id, '-o', dir]), 1, 'already exists', '--force');
    expect(readFileSync(join(dir, 'data.bin'), 'utf8')).toBe('mine');
    expect(readdirSync(dir)).toEqual(['data.bin']);
    expectOk(await cliB(['files', 'get', atB.id, '-o', dir, '--force']));
    expect(sha256(readFileSync(join(dir, 'data.bin')))).toBe(sha256(data));
    expect(readdirSync(dir)).toEqual(['data.bin']);
  }, 120_000);

  it('a rerun with --id resumes an upload that stopped half way', async () => {
    const data = content(1024 * 1024 + 3, 11);
    const path = join(home, 'half.bin');
    writeFileSync(path, data);
    const id = randomUUID();
    const upload = await a
      .client()
      .createFileUpload({ contactId: aContactId, name: 'half.bin', size: data.length, sha256: sha256(data), id });
    for (const index of [0, 2]) {
      const chunk = data.subarray(index * upload.chunkSize, (index + 1) * upload.chunkSize);
      await a.client().uploadFileChunk(id, index, chunk, sha256(chunk));
    }
    const resumed = await cliA(['send-file', '--to', String(aContactId), path, '--id', id]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('2 chunks were already there');
    expect((await a.client().getFile(id)).receivedRanges).toEqual([[0, upload.chunks - 1]]);
    await receivedAtB(sha256(data));
  }, 60_000);

  it('the original form send_file -f <path> -t <id> works, and UTF-8 names survive', async () => {
    const data = content(300_000, 3);
    const path = join(home, '中文 报告.pdf');
    writeFileSync(path, data);
    const sent = await cliA(['send_file', '-f', path, '-t', String(aContactId)]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain('(中文 报告.pdf, 293 KiB)');
    const atB = await receivedAtB(sha256(data));
    expect(atB.name).toBe('中文 报告.pdf');
    const dir = join(home, 'get-utf8');
    mkdirSync(dir);
    expectOk(await cliB(['files', 'get', atB.id, '-o', dir]));
    expect(readdirSync(dir)).toEqual(['中文 报告.pdf']);
    expect(sha256(readFileSync(join(dir, '中文 报告.pdf')))).toBe(sha256(data));
  }, 60_000);

  it('a peer-chosen "../../evil" lands inside the target directory', async () => {
    const data = content(5000, 5);
    const id = randomUUID();
    const upload = await a
      .client()
      .createFileUpload({ contactId: aContactId, name: '../../evil', size: data.length, sha256: sha256(data), id });
    await a.client().uploadFileChunk(id, 0, data, sha256(data));
    expect(upload.chunks).toBe(1);
    const atB = await receivedAtB(sha256(data));
    const outer = join(home, 'jail');
    const dir = join(outer, 'a', 'b');
    mkdirSync(dir, { recursive: true });
    expectOk(await cliB(['files', 'get', atB.id, '-o', dir]));
    expect(readdirSync(dir)).toEqual(['evil']);
    expect(readdirSync(outer)).toEqual(['a']);
    expect(readdirSync(join(outer, 'a'))).toEqual(['b']);
    expect(existsSync(join(home, 'evil'))).toBe(false);
  }, 60_000);

  it('files delete removes a file', async () => {
    const data = content(2000, 9);
    const path = join(home, 'gone.bin');
    writeFileSync(path, data);
    const id = randomUUID();
    expect((await cliA(['send-file', '--to', String(aContactId), path, '--id', id])).code).toBe(0);
    const deleted = await cliA(['files', 'delete', id]);
    expectOk(deleted);
    expect(deleted.stdout).toContain(`File ${id} deleted.`);
    expectFailure(await cliA(['files', 'show', id]), 1);
  }, 60_000);

  it('bad inputs: missing file (2), bad ids (2), unknown contact (1), unknown file (1), Portal down (3)', async () => {
    const before = (await a.client().listFiles()).length;
    expectFailure(await cliA(['send-file', '--to', String(aContactId), join(home, 'nope.bin')]), 2, 'no such file');
    expectFailure(await cliA(['send-file', join(home, 'nope.bin')]), 2, '--to');
    expectFailure(await cliA(['send-file', '--to', 'x', join(home, 'nope.bin')]), 2, '--to');
    const path = join(home, 'small.bin');
    writeFileSync(path, 'hello');
    expectFailure(await cliA(['send-file', '--to', String(aContactId), path, '--id', 'nope']), 2, '--id must be a UUID');
    expectFailure(await cliA(['send-file', '--to', '999', path]), 1);
    expect((await a.client().listFiles()).length).toBe(before);
    expectFailure(await cliB(['files', 'get', 'nope']), 2, 'UUID');
    expectFailure(await cliB(['files', 'get', randomUUID()]), 1);
    expectFailure(await cliB(['files', 'get', randomUUID(), '-o', join(home, 'no-dir')]), 2, 'no such directory');
    const down = { AGENTP2P_HUB_URL: `http://127.0.0.1:${await freePort()}`, AGENTP2P_API_KEY: a.ownerKey };
    expectFailure(await runIn(home, ['send-file', '--to', '1', path], down), 3, 'cannot reach');
    expectFailure(await runIn(home, ['files', 'list'], down), 3, 'cannot reach');
  }, 60_000);

  it('owner reply --file attaches a local file; files get fetches what the owner attached; owner history lists both', async () => {
    // The owner attaches a file in the console (a local upload with the session), then the agent fetches it.
    const cookie = await a.login();
    const owner = createPortalClient({ baseUrl: a.url, session: true, headers: { Cookie: cookie } });
    const brief = content(300_000, 11);
    const upload = await owner.createFileUpload({
      name: 'brief 简报.pdf',
      size: brief.length,
      sha256: sha256(brief),
      mime: 'application/pdf',
    });
    for (let index = 0; index < upload.chunks; index++) {
      const chunk = brief.subarray(index * upload.chunkSize, (index + 1) * upload.chunkSize);
      await owner.uploadFileChunk(upload.id, index, chunk, sha256(chunk));
    }
    await owner.postOwnerChatMessage('Summarise this', [upload.id]);
    const history = await cliA(['owner', 'history', '--limit', '1']);
    expectOk(history);
    // Attachment names are framed: an attached file may be one a contact sent.
    expect(history.stdout).toContain(
      `[file] <<<untrusted brief 简报.pdf >>> (293 KiB, <<<untrusted application/pdf >>>) agent-p2p files get ${upload.id}`,
    );
    const dir = join(home, 'from-owner');
    mkdirSync(dir);
    expectOk(await cliA(['files', 'get', upload.id, '-o', dir]));
    expect(sha256(readFileSync(join(dir, 'brief 简报.pdf')))).toBe(sha256(brief));

    // The agent answers with a file: uploaded without a contact and attached.
    const summary = content(700_000, 12);
    const path = join(home, 'summary.md');
    writeFileSync(path, summary);
    const reply = await cliA(['owner', 'reply', 'Here', 'it', 'is', '--file', path, '--mime', 'text/markdown']);
    expect(reply.code).toBe(0);
    expect(reply.stderr).toMatch(/^sent 684 KiB of 684 KiB in [\d.]+ s \(.+\/s\)\n$/);
    expect(reply.stdout).toMatch(/^Reply [0-9a-f-]{36} posted to your owner with summary\.md \(684 KiB, file [0-9a-f-]{36}\)\.$/m);
    const [last] = (await owner.listOwnerChatMessages({ limit: 1 })).messages;
    expect(last).toMatchObject({
      role: 'agent',
      content: 'Here it is',
      attachments: [{ name: 'summary.md', size: summary.length, mime: 'text/markdown', sha256: sha256(summary), available: true }],
    });
    const stored = await a.client().getFile(last.attachments[0].fileId);
    expect(stored).toMatchObject({ direction: 'local', contactId: null, status: 'stored' });
    // Nothing was offered to the contact.
    expect((await b.client().listFiles()).filter((f) => f.sha256 === sha256(summary))).toEqual([]);

    // A file alone, as JSON; then the usage errors.
    const alone = await cliA(['owner', 'reply', '-f', path, '--json']);
    expectOk(alone);
    expect(JSON.parse(alone.stdout)).toMatchObject({ role: 'agent', content: '', attachments: [{ name: 'summary.md' }] });
    expectFailure(await cliA(['owner', 'reply']), 2, 'missing argument');
    expectFailure(await cliA(['owner', 'reply', 'x', '--file', join(home, 'nope.md')]), 2, 'no such file');
    expectFailure(await cliA(['owner', 'reply', 'x', '--mime', 'text/plain']), 2, '--mime goes with --file');
    expectFailure(await cliA(['owner', 'reply', 'x', '--file', path, '--mime', 'bad']), 2, '--mime must be a media type');
  }, 60_000);
});

describe('agent-p2p send-file at the usual chunk size (8 MiB)', () => {
  let a: TestPortal;
  let b: TestPortal;
  let home: string;

  beforeAll(async () => {
    ensureCliBuilt();
    home = mkdtempSync(join(tmpdir(), 'ap2p-cli-files-8m-'));
    [a, b] = await Promise.all([startPeer(), startPeer()]);
  });

  afterAll(async () => {
    await Promise.all([a?.destroy(), b?.destroy()]);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('chunk hashes computed while the whole file is hashed: a resumed upload of 3 chunks arrives intact', async () => {
    const { aContactId } = await connect(a, b);
    const chunkSize = 8 * 1024 * 1024;
    const data = content(2 * chunkSize + 1000, 13);
    const path = join(home, 'large.bin');
    writeFileSync(path, data);
    const id = randomUUID();
    // Chunk 1 is already there: the command sends 0 and 2.
    const upload = await a
      .client()
      .createFileUpload({ contactId: aContactId, name: 'large.bin', size: data.length, sha256: sha256(data), id });
    expect(upload).toMatchObject({ chunkSize, chunks: 3 });
    const middle = data.subarray(chunkSize, 2 * chunkSize);
    await a.client().uploadFileChunk(id, 1, middle, sha256(middle));
    const sent = await runIn(home, ['send-file', '--to', String(aContactId), path, '--id', id], {
      AGENTP2P_HUB_URL: a.url,
      AGENTP2P_API_KEY: a.ownerKey,
    });
    expect(sent.code).toBe(0);
    expect(sent.stderr).toContain('1 chunks were already there');
    const atB = await waitFor(
      'B to receive the file',
      async () => (await b.client().listFiles({ direction: 'in' })).find((f) => f.name === 'large.bin' && f.status === 'received'),
      60_000,
    );
    expect(atB).toMatchObject({ size: data.length, sha256: sha256(data), receivedRanges: [[0, 2]] });
  }, 120_000);
});
