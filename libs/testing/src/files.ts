import type { PortalClient } from '@agent-p2p/sdk';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes. */
export function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Every regular file under a directory, as paths relative to it (empty when it does not exist). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      return;
    }
    for (const name of names) {
      const full = join(path, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** Creates an upload (to a contact, or local when contactId is undefined) and sends every chunk; returns the file id. */
export async function sendFile(
  client: PortalClient,
  contactId: number | undefined,
  data: Buffer,
  options: { name?: string; mime?: string; sha256?: string; id?: string } = {},
): Promise<string> {
  const upload = await client.createFileUpload({
    ...(contactId === undefined ? {} : { contactId }),
    name: options.name ?? 'data.bin',
    size: data.length,
    sha256: options.sha256 ?? sha256(data),
    mime: options.mime ?? 'application/octet-stream',
    ...(options.id ? { id: options.id } : {}),
  });
  for (let index = 0; index < upload.chunks; index += 1) {
    const chunk = data.subarray(index * upload.chunkSize, (index + 1) * upload.chunkSize);
    await client.uploadFileChunk(upload.id, index, chunk, sha256(chunk));
  }
  return upload.id;
}
