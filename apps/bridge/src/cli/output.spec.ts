import { describe, expect, it } from '@jest/globals';
import { cut, safe, safeBlock, table, toJson, toJsonLine } from './output';

describe('CLI output', () => {
  it('escapes C0, C1 and bidi controls so peer text cannot drive the terminal', () => {
    expect(safe('a\u001b[31mb\u0007c\u009b2Jd\u202ee\r\nf')).toBe('a\\x1b[31mb\\x07c\\x9b2Jd\\u202ee\\r\\nf');
    expect(safe('plain — 你好 😀')).toBe('plain — 你好 😀');
    expect(safe(null)).toBe('');
  });

  it('keeps newlines in blocks, indented, and escapes the rest', () => {
    expect(safeBlock('one\n\u001b[2Jtwo', '  ')).toBe('  one\n  \\x1b[2Jtwo');
  });

  it('JSON stays valid and carries no raw C1 or bidi characters', () => {
    const value = { name: 'x\u001b\u009b\u202ey' };
    for (const text of [toJson(value), toJsonLine(value)]) {
      expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u0080-\u009f\u202e]/);
      expect(JSON.parse(text)).toEqual(value);
    }
  });

  it('cuts by characters and aligns columns', () => {
    expect(cut('😀😀😀😀', 3)).toBe('😀😀…');
    expect(cut('abc', 3)).toBe('abc');
    expect(table(['ID', 'NAME'], [['1', 'Bob'], ['12', 'A']])).toBe('ID  NAME\n1   Bob\n12  A');
  });
});
