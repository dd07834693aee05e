/**
 * Sends made inside a contact's turn are idempotent: a turn the gateway replays after a crash (the
 * Portal event was acked only after the turn) sends its files and captions under the same ids, and
 * the Portal keeps one of each. Runs the channel's own send code against two real Portals.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, startPeer, type TestPortal, waitFor } from '@agent-p2p/testing';
import { sendMediaToContact } from '../src/files';
import { fileSendId } from '../src/ids';

describe('the channel plugin: file sends in a replayed turn', () => {
  let a: TestPortal;
  let b: TestPortal;
  let aContactId: number;
  let bContactId: number;
  let dir: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startPeer(), startPeer()]);
    ({ aContactId, bContactId } = await connect(a, b));
    dir = mkdtempSync(join(tmpdir(), 'ap2p-channel-sends-'));
  });

  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fileAt = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** What A received under that name, once everything sent so far had time to arrive. */
  const receivedByA = async (name: string, expected: number) => {
    await waitFor(
      `${expected} file(s) ${name} to reach A`,
      async () =>
        (await a.client().listFiles({ contactId: aContactId })).filter((f) => f.name === name && f.status === 'received').length >=
        expected,
      30_000,
    );
    // A second copy, if one was sent, arrives meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return (await a.client().listFiles({ contactId: aContactId })).filter((f) => f.name === name);
  };
  const captionsAtA = async (caption: string) =>
    (await a.client().listMessages({ contactId: aContactId, limit: 200 })).messages.filter((m) => m.content === caption);

  it('the same turn run twice sends its file and caption once; another turn sends again', async () => {
    const path = fileAt('report.txt', 'the report\n');
    const inbound = randomUUID();
    const first = await sendMediaToContact(b.client(), bContactId, path, 'here is the report', inbound);
    // The replay: the agent answers the same inbound message with the same file.
    const again = await sendMediaToContact(b.client(), bContactId, path, 'here is the report', inbound);
    expect(again.id).toBe(first.id);
    expect(first.id).toBe(
      fileSendId(inbound, bContactId, { sha256: createHash('sha256').update('the report\n').digest('hex'), name: 'report.txt' }),
    );
    const files = await receivedByA('report.txt', 1);
    expect(files).toHaveLength(1);
    expect(files[0].sha256).toBe(first.sha256);
    await waitFor('the caption to reach A', async () => (await captionsAtA('here is the report')).length > 0, 30_000);
    expect(await captionsAtA('here is the report')).toHaveLength(1);
    expect((await b.client().listFiles({ contactId: bContactId, direction: 'out' })).filter((f) => f.name === 'report.txt')).toHaveLength(
      1,
    );

    // A later turn (another inbound message) that sends the same file sends it again.
    const later = await sendMediaToContact(b.client(), bContactId, path, '', randomUUID());
    expect(later.id).not.toBe(first.id);
    expect(await receivedByA('report.txt', 2)).toHaveLength(2);
  });

  it('a turn that crashed mid-upload resumes the same transfer when replayed', async () => {
    const content = Buffer.from('half sent\n');
    const path = fileAt('partial.txt', content.toString());
    const inbound = randomUUID();
    const sha256 = createHash('sha256').update(content).digest('hex');
    // The first run created the upload and died before its chunk.
    const started = await b.client().createFileUpload({
      contactId: bContactId,
      name: 'partial.txt',
      size: content.length,
      sha256,
      mime: 'text/plain',
      id: fileSendId(inbound, bContactId, { sha256, name: 'partial.txt' }),
    });
    expect(started.status).toBe('uploading');
    const replayed = await sendMediaToContact(b.client(), bContactId, path, '', inbound);
    expect(replayed.id).toBe(started.id);
    const files = await receivedByA('partial.txt', 1);
    expect(files).toHaveLength(1);
    expect(Buffer.from(await (await a.client().downloadFile(files[0].id)).arrayBuffer()).equals(content)).toBe(true);
  });

  it('a send outside a contact turn (no inbound id) is a new file each time', async () => {
    const path = fileAt('note.txt', 'a note\n');
    const one = await sendMediaToContact(b.client(), bContactId, path, '', null);
    const two = await sendMediaToContact(b.client(), bContactId, path, '', null);
    expect(two.id).not.toBe(one.id);
    expect(await receivedByA('note.txt', 2)).toHaveLength(2);
  });
});
