import { describe, expect, it } from '@jest/globals';
import { bytes, localFileName } from './files';

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
