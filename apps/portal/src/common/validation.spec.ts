import { describe, expect, it } from '@jest/globals';
import { jsonNestsDeeperThan } from './json-body';
import { isRfc3339DateTime } from './validation';

describe('isRfc3339DateTime', () => {
  it.each([
    '2026-01-31T12:00:00Z',
    '2026-01-31T12:00:00.123Z',
    '2026-01-31T12:00:00.123456789Z',
    '2026-01-31T12:00:00+02:00',
    '2026-01-31T12:00:00-11:30',
    '2024-02-29T23:59:59Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
  ])('accepts %s', (value) => {
    expect(isRfc3339DateTime(value)).toBe(true);
  });

  it.each([
    '2024-W01-1',
    '2024-W01',
    '2024-001',
    '20240101T000000Z',
    '2024-01-01',
    '2024-01-01T00:00Z',
    '2024-01-01T00:00:00',
    '2024-01-01 00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-01T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-12-31T23:59:60Z',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01T00:00:00+01:60',
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+01:00',
    '+275760-09-13T00:00:00.000Z',
    '2026-01-01T00:00:00.Z',
    ' 2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00Z\n',
    '',
  ])('refuses %j', (value) => {
    expect(isRfc3339DateTime(value)).toBe(false);
  });

  it('refuses what is not a string', () => {
    for (const value of [null, undefined, 0, Date.now(), new Date(), ['2026-01-31T12:00:00Z'], {}])
      expect(isRfc3339DateTime(value)).toBe(false);
  });
});

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(jsonNestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 1)).toBe(false);
    expect(jsonNestsDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, 1)).toBe(false);
    expect(jsonNestsDeeperThan('['.repeat(33) + ']'.repeat(33), 32)).toBe(true);
    expect(jsonNestsDeeperThan('['.repeat(32) + ']'.repeat(32), 32)).toBe(false);
  });
});
