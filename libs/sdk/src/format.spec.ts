import { describe, expect, it } from '@jest/globals';
import { formatBytes, formatDuration } from './format';

describe('formatBytes', () => {
  it('writes bytes below 1 KiB as whole bytes, rounding fractions (rates)', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(231.57894736842104)).toBe('232 B');
    expect(formatBytes(1023.4)).toBe('1023 B');
  });

  it('uses binary units with three significant digits', () => {
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(3.4 * 1024 * 1024)).toBe('3.40 MiB');
    expect(formatBytes(12.5 * 1024 ** 3)).toBe('12.5 GiB');
    expect(formatBytes(100 * 1024)).toBe('100 KiB');
    expect(formatBytes(2 * 1024 ** 4)).toBe('2.00 TiB');
  });
});

describe('formatDuration', () => {
  it('keeps waits short and rounds up', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(45.2)).toBe('46 s');
    expect(formatDuration(60)).toBe('1 min');
    expect(formatDuration(3138)).toBe('53 min');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(3900)).toBe('1 h 5 min');
    expect(formatDuration(7 * 86400)).toBe('7 d');
    expect(formatDuration(86400 + 3 * 3600)).toBe('1 d 3 h');
  });
});
