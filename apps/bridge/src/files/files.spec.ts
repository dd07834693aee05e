import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sanitizeFileName as localFileName } from '@agent-p2p/protocol';
import { bytes } from '../text';
import { hashChunksAside } from './index';

describe('localFileName', () => {
  it('keeps only the last path segment and never yields ".", ".." or an empty name', () => {
    expect(localFileName('../../evil')).toBe('evil');
    expect(localFileName('..\\..\\windows\\evil.exe')).toBe('evil.exe');
    expect(localFileName('/etc/passwd')).toBe('passwd');
    expect(localFileName('..')).toBe('file');
    expect(localFileName('.')).toBe('file');
    expect(localFileName('')).toBe('file');
    expect(localFileName('../')).toBe('file');
    expect(localFileName('.bashrc')).toBe('bashrc');
  });

  it('drops control and bidi characters, keeps UTF-8 and spaces inside', () => {
    expect(localFileName('中文 报告.pdf')).toBe('中文 报告.pdf');
    expect(localFileName('a\u0000b\u001b[31m\nc.txt')).toBe('ab[31mc.txt');
    expect(localFileName('invoice\u202efdp.exe')).toBe('invoicefdp.exe');
    expect(localFileName('a<b>:c"d|e?f*g')).toBe('a_b__c_d_e_f_g');
  });

  it('caps the name at 255 bytes of UTF-8 and keeps a short extension', () => {
    const name = localFileName('长'.repeat(200) + '.pdf');
    expect(Buffer.byteLength(name, 'utf8')).toBeLessThanOrEqual(255);
    expect(name.endsWith('长.pdf')).toBe(true);
    expect(Buffer.byteLength(localFileName('x'.repeat(1000)), 'utf8')).toBe(255);
  });
});

describe('bytes', () => {
  it('shows binary units', () => {
    expect(bytes(512)).toBe('512 B');
    expect(bytes(3 * 1024 * 1024)).toBe('3.00 MiB');
    expect(bytes(1024 ** 3)).toBe('1.00 GiB');
  });
});

describe('hashChunksAside', () => {
  it('hashes every chunk of a file in a worker thread, the last one shorter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ap2p-chunk-hashes-'));
    try {
      const data = randomBytes(2 * 5000 + 123);
      const path = join(dir, 'data.bin');
      writeFileSync(path, data);
      const expected = [0, 1, 2].map((i) =>
        createHash('sha256')
          .update(data.subarray(i * 5000, (i + 1) * 5000))
          .digest('hex'),
      );
      expect(await hashChunksAside(path, data.length, 5000).hashes).toEqual(expected);
      // A file shorter than announced: no hashes (the caller hashes as it reads instead).
      expect(await hashChunksAside(path, data.length + 1, 5000).hashes).toBeNull();
      expect(await hashChunksAside(join(dir, 'missing.bin'), 10, 5000).hashes).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
