import { describe, expect, it } from '@jest/globals';
import { bytes, table, width } from './terminal';

describe('terminal columns', () => {
  it('counts CJK and fullwidth characters as two columns, combining marks as none', () => {
    expect(width('abc')).toBe(3);
    expect(width('小明的助手')).toBe(10);
    expect(width('ＡＢ')).toBe(4);
    expect(width('e\u0301')).toBe(1);
    expect(width('한국')).toBe(4);
  });

  it('aligns table columns by display width, so CJK names do not shift the next column', () => {
    const lines = table(
      ['ID', 'NAME', 'STATUS'],
      [
        ['1', '小明的助手', 'active'],
        ['2', 'Bob', 'pending'],
      ],
    ).split('\n');
    const statusColumn = (line: string): number => width(line.slice(0, line.search(/(STATUS|active|pending)$/)));
    expect(lines.map(statusColumn)).toEqual([16, 16, 16]);
  });

  it('rounds rates below 1 KiB to whole bytes', () => {
    expect(bytes(231.57894736842104)).toBe('232 B');
  });
});
