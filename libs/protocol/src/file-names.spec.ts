import { describe, expect, it } from '@jest/globals';
import { MAX_FILE_NAME_BYTES, sanitizeFileName } from './file-names';

const bytes = (value: string) => new TextEncoder().encode(value).length;

describe('sanitizeFileName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['中文 报告.pdf', '中文 报告.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['a/b/', 'b'],
    ['..', 'file'],
    ['', 'file'],
    ['.bashrc', 'bashrc'],
    ['e\u0301.txt', 'é.txt'],
    ['x:y*z?.txt', 'x_y_z_.txt'],
  ])('ordinary and hostile names: %j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  // Characters one of the former cleaners kept and another dropped: the stricter set applies everywhere.
  it.each([
    ['zero width space', 'a\u200bb.txt'],
    ['zero width non-joiner', 'a\u200cb.txt'],
    ['zero width joiner', 'a\u200db.txt'],
    ['Arabic letter mark', 'a\u061cb.txt'],
    ['line separator', 'a\u2028b.txt'],
    ['paragraph separator', 'a\u2029b.txt'],
    ['word joiner', 'a\u2060b.txt'],
    ['invisible times', 'a\u2062b.txt'],
    ['C1 control', 'a\u0085b.txt'],
    ['left-to-right mark', 'a\u200eb.txt'],
    ['right-to-left override', 'a\u202eb.txt'],
    ['first strong isolate', 'a\u2068b.txt'],
    ['byte order mark', '\ufeffab.txt'],
  ])('drops the %s', (_label, input) => {
    expect(sanitizeFileName(input)).toBe('ab.txt');
  });

  it('replaces Windows-reserved characters and drops trailing dots and spaces', () => {
    expect(sanitizeFileName('a<b>:c"d|e?f*g')).toBe('a_b__c_d_e_f_g');
    expect(sanitizeFileName('notes. . .')).toBe('notes');
  });

  it('caps names at 255 bytes of UTF-8, keeping a short extension, without splitting characters', () => {
    expect(sanitizeFileName('x'.repeat(300))).toBe('x'.repeat(MAX_FILE_NAME_BYTES));
    const cjk = sanitizeFileName(`${'长'.repeat(200)}.pdf`);
    expect(bytes(cjk)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(cjk).toBe(`${'长'.repeat(83)}.pdf`);
    const emoji = sanitizeFileName(`${'😀'.repeat(100)}.tar.gz`);
    expect(bytes(emoji)).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(emoji).not.toMatch(/\uFFFD/);
  });

  it('trims spaces left at the end of a capped name before its extension', () => {
    const capped = sanitizeFileName(`${'a'.repeat(250)}      b.txt`);
    expect(capped).toBe(`${'a'.repeat(250)}.txt`);
  });
});
