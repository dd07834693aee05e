import { sanitizeFileName } from '@agent-p2p/protocol';
import { createPortalClient, type FileTransfer, PortalApiError, type PortalClient } from '@agent-p2p/sdk';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { link, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CliError, EXIT, requestTimeoutMs, UsageError } from '../portal';
import { framed, safe } from '../text';

/**
 * A client whose timeout covers only the wait for the answer's headers, not reading the body: a
 * large download streams for as long as it needs.
 */
export function downloadClient(config: { hubUrl: string; apiKey: string }, env: NodeJS.ProcessEnv): PortalClient {
  const timeoutMs = requestTimeoutMs(env);
  return createPortalClient({
    baseUrl: config.hubUrl,
    apiKey: config.apiKey,
    fetch: async (input, init) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      try {
        return await globalThis.fetch(input, { ...init, signal: controller.signal });
      } catch (error) {
        // No cause attached on purpose (see portal.ts): the timeout is the whole story.
        // eslint-disable-next-line preserve-caught-error
        if (controller.signal.aborted) throw new Error(`no answer within ${timeoutMs / 1000} s`);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Downloads a file into a directory under its cleaned name: streamed to a temporary file, checked
 * against its size and SHA-256, then named (never replacing a file unless `force`).
 */
export async function saveFile(
  client: PortalClient,
  download: PortalClient,
  id: string,
  directory: string,
  force: boolean,
): Promise<{ file: FileTransfer; path: string }> {
  const dir = resolve(directory);
  let dirInfo: Stats;
  try {
    dirInfo = await stat(dir);
  } catch {
    throw new UsageError(`no such directory: ${safe(dir)}`);
  }
  if (!dirInfo.isDirectory()) throw new UsageError(`not a directory: ${safe(dir)}`);
  const file = await client.getFile(id);
  if (!file.contentAvailable) throw new CliError(`file ${file.id} cannot be downloaded (status ${file.status})`, EXIT.refused);
  const name = sanitizeFileName(file.name);
  const target = join(dir, name);
  // Belt and braces: the cleaned name has no separators, so this always holds.
  if (dirname(target) !== dir || basename(target) !== name)
    throw new CliError(`refusing the file name ${framed(file.name, 200)}`, EXIT.refused);
  if (!force && (await exists(target))) throw new CliError(`${safe(target)} already exists (give --force to replace it)`, EXIT.refused);
  const temp = join(dir, `.agent-p2p-${file.id.slice(0, 8)}-${randomBytes(4).toString('hex')}.part`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    const response = await download.downloadFile(file.id);
    if (!response.body) throw new CliError('the Portal sent no content', EXIT.unreachable);
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      size += chunk.length;
    });
    await pipeline(body, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    const sha256 = hash.digest('hex');
    if (size !== file.size || sha256 !== file.sha256.toLowerCase()) {
      throw new CliError(
        `the download of file ${file.id} does not match its SHA-256 (got ${size} bytes, ${sha256}); nothing saved`,
        EXIT.refused,
      );
    }
    if (force) {
      await rename(temp, target);
    } else {
      // link() fails when the name appeared meanwhile: never overwrites.
      try {
        await link(temp, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST')
          throw new CliError(`${safe(target)} already exists (give --force to replace it)`, EXIT.refused);
        throw error;
      }
      await unlink(temp);
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof PortalApiError || error instanceof CliError || error instanceof UsageError) throw error;
    throw new CliError(`cannot save file ${file.id}: ${(error as Error).message}`, EXIT.refused);
  }
  return { file, path: target };
}
