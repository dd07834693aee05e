import { describe, expect, it } from '@jest/globals';
import { formatQuietHours, inQuietHours, localMinute, parseQuietHours, quietEndsAt } from './quiet-hours';

describe('quiet hours', () => {
  it('parse and format HH:MM-HH:MM, also across midnight', () => {
    expect(parseQuietHours('')).toBeNull();
    expect(parseQuietHours(' 22:00 - 07:30 ')).toEqual({ startMinute: 1320, endMinute: 450 });
    expect(formatQuietHours({ startMinute: 1320, endMinute: 450 })).toBe('22:00-07:30');
    for (const bad of ['22-07', '24:00-07:00', '22:00', '22:00-07:00-08:00', '7:00-8:00']) {
      expect(() => parseQuietHours(bad)).toThrow('must be HH:MM-HH:MM');
    }
  });

  it("are read in the owner's time zone", () => {
    const at = new Date('2026-12-02T15:30:00Z');
    expect(localMinute(at, 'UTC')).toBe(15 * 60 + 30);
    expect(localMinute(at, 'Asia/Shanghai')).toBe(23 * 60 + 30);
    const night = parseQuietHours('22:00-07:00');
    expect(inQuietHours(at, night, 'Asia/Shanghai')).toBe(true);
    expect(inQuietHours(at, night, 'UTC')).toBe(false);
    expect(inQuietHours(new Date('2026-12-02T23:00:00Z'), night, 'Asia/Shanghai')).toBe(false); // 07:00 there: over
    expect(inQuietHours(at, parseQuietHours('13:00-16:00'), 'UTC')).toBe(true);
    expect(inQuietHours(at, null, 'UTC')).toBe(false);
  });

  it('say when the current span ends (the minute it is over), or now when it is not quiet', () => {
    const night = parseQuietHours('22:00-07:00');
    expect(quietEndsAt(new Date('2026-12-02T15:30:10Z'), night, 'Asia/Shanghai').toISOString()).toBe('2026-12-02T23:00:00.000Z');
    const day = new Date('2026-12-02T04:00:00Z');
    expect(quietEndsAt(day, night, 'Asia/Shanghai')).toBe(day);
  });
});
