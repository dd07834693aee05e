import { describe, expect, it } from '@jest/globals';
import { createPortalClient } from './client';
import { PortalApiError } from './errors';

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array;
}

/** A client whose fetch records the request and answers with `answer`. */
function recording(answer: () => Response): { client: ReturnType<typeof createPortalClient>; seen: Seen[] } {
  const seen: Seen[] = [];
  const client = createPortalClient({
    baseUrl: 'http://portal.test/',
    apiKey: 'ap2p_o_key',
    fetch: async (input: RequestInfo | URL) => {
      const request = input as Request;
      seen.push({ method: request.method, url: request.url, headers: request.headers, body: new Uint8Array(await request.arrayBuffer()) });
      return answer();
    },
  });
  return { client, seen };
}

describe('file methods', () => {
  it('uploadFileChunk sends the raw bytes as application/octet-stream with the chunk hash (never JSON)', async () => {
    const receipt = { index: 2, stored: true, receivedRanges: [[0, 2]], status: 'uploading' };
    const { client, seen } = recording(() => Response.json(receipt));
    const data = new Uint8Array([1, 2, 3, 250]);
    expect(await client.uploadFileChunk('f-1', 2, data, 'ab'.repeat(32))).toEqual(receipt);
    expect(seen[0].method).toBe('PUT');
    expect(seen[0].url).toBe('http://portal.test/api/files/f-1/chunks/2');
    expect(seen[0].headers.get('content-type')).toBe('application/octet-stream');
    expect(seen[0].headers.get('x-chunk-sha256')).toBe('ab'.repeat(32));
    expect(seen[0].headers.get('authorization')).toBe('Bearer ap2p_o_key');
    expect([...seen[0].body]).toEqual([1, 2, 3, 250]);
    // In Node the bytes are streamed as they are (not copied first), with their length announced.
    expect(seen[0].headers.get('content-length')).toBe('4');

    await client.uploadFileChunk('f-1', 3, new Blob([new Uint8Array([9, 8])]), 'cd'.repeat(32));
    expect([...seen[1].body]).toEqual([9, 8]);
  });

  it('downloadFile asks for one range and hands back the unread response', async () => {
    const { client, seen } = recording(() => new Response(new Uint8Array([5, 6]), { status: 206 }));
    const response = await client.downloadFile('f-2', { range: { start: 10, end: 11 } });
    expect(response.status).toBe(206);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([5, 6]);
    await client.downloadFile('f-2', { range: { suffix: 100 } });
    await client.downloadFile('f-2', { range: { start: 7 } });
    await client.downloadFile('f-2');
    expect(seen.map((s) => s.headers.get('range'))).toEqual(['bytes=10-11', 'bytes=-100', 'bytes=7-', null]);
  });

  it('error answers become PortalApiError with the Portal message', async () => {
    const { client } = recording(() =>
      Response.json({ statusCode: 422, error: 'Unprocessable Entity', message: 'chunk 0 does not match' }, { status: 422 }),
    );
    const error = await client.uploadFileChunk('f-3', 0, new Uint8Array([1]), 'ab'.repeat(32)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortalApiError);
    expect(error).toMatchObject({ status: 422, message: 'chunk 0 does not match' });
    const { client: other } = recording(() => new Response('nope', { status: 416 }));
    await expect(other.downloadFile('f-3', { range: { start: 99 } })).rejects.toMatchObject({ status: 416 });
  });
});
