import { describe, expect, it } from '@jest/globals';
import { parseV09Time } from './v09-source';

const iso = (value: string | number): string | null => parseV09Time(value)?.toISOString() ?? null;

describe('parseV09Time', () => {
  it('reads the forms v0.9 wrote', () => {
    expect(iso('2025-03-01 12:00:00')).toBe('2025-03-01T12:00:00.000Z'); // CURRENT_TIMESTAMP (UTC)
    expect(iso('2025-03-01 12:00:00.123456')).toBe('2025-03-01T12:00:00.123Z'); // str(datetime.now())
    expect(iso('2025-03-01T12:00:00')).toBe('2025-03-01T12:00:00.000Z'); // isoformat()
    expect(iso('2025-03-01T14:30:00+02:30')).toBe('2025-03-01T12:00:00.000Z');
    expect(iso('2025-03-01T07:00:00-0500')).toBe('2025-03-01T12:00:00.000Z');
    expect(iso('2025-03-01T12:00:00Z')).toBe('2025-03-01T12:00:00.000Z');
    expect(iso('2025-03-01 12:00')).toBe('2025-03-01T12:00:00.000Z');
    expect(iso('2025-03-01')).toBe('2025-03-01T00:00:00.000Z');
    expect(iso(' 2025-03-01 12:00:00 ')).toBe('2025-03-01T12:00:00.000Z');
    expect(iso(1740830400)).toBe('2025-03-01T12:00:00.000Z'); // Unix seconds
    expect(iso(1740830400123)).toBe('2025-03-01T12:00:00.123Z'); // milliseconds
    expect(iso('1740830400')).toBe('2025-03-01T12:00:00.000Z');
  });

  it('refuses what is not a time', () => {
    for (const value of [
      '',
      'yesterday',
      '2025-02-30 10:00:00',
      '2025-13-01',
      '2025-03-01 24:00:00',
      '2025-03-01 12:60:00',
      '01/03/2025',
      0,
      -5,
      Number.NaN,
    ]) {
      expect(iso(value)).toBeNull();
    }
  });
});
