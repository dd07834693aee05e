/**
 * The pure rules of governance: when a run of received messages is due to wake the agent
 * (coalescing) and what a contact's tier and budget make of it (quiet hours: common/quiet-hours.ts).
 * No I/O and no clock of its own: the scheduler passes `now`.
 */
import type { AutonomyTier } from '../common/autonomy';
import type { GovernanceSettings } from '../config/portal-config';

/** A contact's run of pending messages, as the scheduler sees it. */
export interface PendingRun {
  count: number;
  firstAt: Date;
  lastAt: Date;
}

/** When the run is due to wake (it may be now or in the past). */
export function dueAt(run: PendingRun, settings: GovernanceSettings): Date {
  if (run.count >= settings.maxMessagesPerWake) return run.firstAt;
  return new Date(Math.min(run.lastAt.getTime() + settings.coalesceQuietMs, run.firstAt.getTime() + settings.coalesceMaxMs));
}

/** What a due run becomes. */
export type WakeDecision =
  { action: 'wake'; mode: 'reply' } | { action: 'wake'; mode: 'inform' } | { action: 'hold'; reason: 'budget' } | { action: 'block' };

/** The tier and the turns already used in the window decide; an unknown tier counts as bounded. */
export function decide(tier: AutonomyTier | string, turnsUsed: number, settings: GovernanceSettings): WakeDecision {
  if (tier === 'blocked') return { action: 'block' };
  if (tier === 'notify-only') return { action: 'wake', mode: 'inform' };
  const budget = budgetFor(tier, settings);
  return turnsUsed < budget ? { action: 'wake', mode: 'reply' } : { action: 'hold', reason: 'budget' };
}

/** Woken turns allowed per window for a tier (0 for tiers that never reply). */
export function budgetFor(tier: AutonomyTier | string, settings: GovernanceSettings): number {
  if (tier === 'extended') return settings.extendedTurns;
  if (tier === 'blocked' || tier === 'notify-only') return 0;
  return settings.boundedTurns;
}
