/**
 * How freely the agent talks to one contact, decided by the owner (contacts carry it; governance
 * applies it between a received message and any wake of the agent).
 * - blocked:     messages are accepted and kept; nothing wakes the agent
 * - notify-only: the agent is woken only to tell the owner, with no reply suggested
 * - bounded:     the agent is woken to answer, up to a small budget of turns per window (the default)
 * - extended:    the same with a larger budget
 * Listed from least to most freedom: an agent key may move a contact down this list, only the owner up.
 */
export const AUTONOMY_TIERS = ['blocked', 'notify-only', 'bounded', 'extended'] as const;
export type AutonomyTier = (typeof AUTONOMY_TIERS)[number];
export const DEFAULT_AUTONOMY: AutonomyTier = 'bounded';

/** The tier's place in AUTONOMY_TIERS (a stored value this version does not know counts as bounded). */
export function autonomyRank(tier: string): number {
  const rank = AUTONOMY_TIERS.indexOf(tier as AutonomyTier);
  return rank < 0 ? AUTONOMY_TIERS.indexOf(DEFAULT_AUTONOMY) : rank;
}

export function isAutonomyTier(value: unknown): value is AutonomyTier {
  return typeof value === 'string' && (AUTONOMY_TIERS as readonly string[]).includes(value);
}
