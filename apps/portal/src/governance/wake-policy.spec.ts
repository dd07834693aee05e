import { describe, expect, it } from '@jest/globals';
import type { GovernanceSettings } from '../config/portal-config';
import { budgetFor, decide, dueAt } from './wake-policy';

const settings: GovernanceSettings = {
  boundedTurns: 3,
  extendedTurns: 10,
  budgetWindowSeconds: 3600,
  coalesceQuietMs: 1500,
  coalesceMaxMs: 5000,
  maxMessagesPerWake: 4,
  quietHours: null,
  timeZone: 'UTC',
};

describe('wake policy', () => {
  it('a run is due after a quiet gap, after the longest wait, or at once when a wake is full', () => {
    const t0 = new Date('2026-12-02T10:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(dueAt({ count: 1, firstAt: t0, lastAt: t0 }, settings)).toEqual(at(1500));
    expect(dueAt({ count: 3, firstAt: t0, lastAt: at(4000) }, settings)).toEqual(at(5000));
    expect(dueAt({ count: 4, firstAt: t0, lastAt: at(100) }, settings)).toEqual(t0);
  });

  it('the tier and the turns used decide: block, inform, reply within the budget, hold past it', () => {
    expect(decide('blocked', 0, settings)).toEqual({ action: 'block' });
    expect(decide('notify-only', 99, settings)).toEqual({ action: 'wake', mode: 'inform' });
    expect(decide('bounded', 2, settings)).toEqual({ action: 'wake', mode: 'reply' });
    expect(decide('bounded', 3, settings)).toEqual({ action: 'hold', reason: 'budget' });
    expect(decide('extended', 9, settings)).toEqual({ action: 'wake', mode: 'reply' });
    expect(decide('extended', 10, settings)).toEqual({ action: 'hold', reason: 'budget' });
    // A tier this version does not know counts as bounded.
    expect(decide('someday', 3, settings)).toEqual({ action: 'hold', reason: 'budget' });
    expect([budgetFor('blocked', settings), budgetFor('notify-only', settings), budgetFor('bounded', settings)]).toEqual([0, 0, 3]);
  });
});
