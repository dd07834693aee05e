import { describe, expect, it } from '@jest/globals';
import { contentDisposition, sanitizeFileName, sanitizeMime } from './file-names';
import { parseRange } from './file-rules';

describe('sanitizeFileName', () => {
  it.each([
    ['中文.pdf', '中文.pdf'],
    ['  spaced name .txt ', 'spaced name .txt'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['/', 'file'],
    ['...', 'file'],
    ['a/b/', 'b'],
    ['tab\there', 'tabhere'],
    ['e\u0301.txt', 'é.txt'],
    ['x:y*z?.txt', 'x_y_z_.txt'],
    ['trailing...', 'trailing'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('caps names at 255 bytes of UTF-8 without splitting characters, keeping the extension', () => {
    const name = sanitizeFileName(`${'😀'.repeat(100)}.tar.gz`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith('.gz')).toBe(true);
    expect(name).not.toMatch(/\uFFFD/);
    expect([...name.slice(0, -3)].every((c) => c === '😀' || c === '.')).toBe(true);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name (RFC 6266/5987)', () => {
    expect(contentDisposition('中文 (1).pdf')).toBe(`attachment; filename="__ (1).pdf"; filename*=UTF-8''%E4%B8%AD%E6%96%87%20%281%29.pdf`);
    expect(contentDisposition("it's.txt")).toBe(`attachment; filename="it's.txt"; filename*=UTF-8''it%27s.txt`);
    expect(contentDisposition('a\\b"c%.txt')).toBe(`attachment; filename="b_c_.txt"; filename*=UTF-8''b_c%25.txt`);
  });
});

describe('sanitizeMime', () => {
  it('keeps type/subtype, drops parameters and anything else', () => {
    expect(sanitizeMime('Application/PDF')).toBe('application/pdf');
    expect(sanitizeMime('text/plain; charset=utf-8')).toBe('text/plain');
    expect(sanitizeMime('text/html\r\nX-Evil: 1')).toBe('application/octet-stream');
    expect(sanitizeMime(undefined)).toBe('application/octet-stream');
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=-1000', 100, { start: 0, end: 99 }],
    ['bytes=50-5000', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, null],
    ['bytes=9-0', 100, null],
    ['bytes=-0', 100, null],
    ['bytes=0-1,3-4', 100, null],
    ['bytes=', 100, null],
    ['bits=0-1', 100, null],
    ['bytes=0-0', 0, null],
  ])('%s of %d bytes → %j', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
