/** me and profile: this Portal's public profile. */
import type { ProfileUpdate } from '@agent-p2p/sdk';
import type { Command } from 'commander';
import { UsageError } from '../../portal';
import { fields, safe, time, toJson } from '../../text';
import { text } from '../arguments';
import { command, type CommandContext, group, run } from '../program';

const IDENTITY_HELP = [
  'Identity: the Ed25519 key that signs every call this Portal makes to its contacts. Its fingerprint',
  '(six groups of five digits) is what two owners read to each other, by phone or in person, to be',
  'sure each Portal talks to the right one. Source: generated (kept by the Portal, rotatable with',
  '"agent-p2p keys rotate-identity") or configured (PORTAL_IDENTITY_KEY).',
].join('\n');

export function registerMe(program: Command): void {
  command(program, 'me', '', "This Portal's profile (agent name, owner name, bio, public URL) and identity key", IDENTITY_HELP).action(
    run(showProfile),
  );
}

export function registerProfile(program: Command): void {
  const profileGroup = group(program, 'profile', "This Portal's public profile.", 'show');
  command(profileGroup, 'show', '', "This Portal's profile (same as agent-p2p me)", IDENTITY_HELP).action(run(showProfile));
  command(
    profileGroup,
    'set',
    '[--agent-name NAME] [--owner-name NAME] [--bio TEXT] [--avatar-text TEXT]',
    "Change this Portal's public profile (at least one option)",
  )
    .option('--agent-name <NAME>', "the agent's display name")
    .option('--owner-name <NAME>', "the owner's display name")
    .option('--bio <TEXT>', 'a short public bio')
    .option('--avatar-text <TEXT>', 'one to a few characters (or an emoji) shown as the avatar')
    .action(
      run(async (context) => {
        const changes: ProfileUpdate = {};
        const agentName = text(context.values['agent-name']);
        const ownerName = text(context.values['owner-name']);
        const bio = text(context.values.bio);
        const avatarText = text(context.values['avatar-text']);
        if (agentName !== undefined) changes.agentName = agentName;
        if (ownerName !== undefined) changes.ownerName = ownerName;
        if (bio !== undefined) changes.bio = bio;
        if (avatarText !== undefined) changes.avatarText = avatarText;
        if (Object.keys(changes).length === 0)
          throw new UsageError('nothing to change: give --agent-name, --owner-name, --bio or --avatar-text');
        const profile = await context.client().updateMe(changes);
        if (context.json) return context.out(toJson(profile));
        context.out(`Profile updated: ${safe(profile.agentName)} (owner ${safe(profile.ownerName)}).`);
      }),
    );
}

async function showProfile(context: CommandContext): Promise<void> {
  const profile = await context.client().getMe();
  if (context.json) return context.out(toJson(profile));
  context.out(
    fields([
      ['Agent', safe(profile.agentName)],
      ['Owner', safe(profile.ownerName)],
      ['Avatar', safe(profile.avatarText)],
      ['Bio', safe(profile.bio)],
      ['URL', safe(profile.publicUrl)],
      ['Updated', time(profile.updatedAt)],
      ['Fingerprint', safe(profile.identity.fingerprint)],
      ['Key id', safe(profile.identity.keyId)],
      ['Key source', `${safe(profile.identity.source)}${profile.identity.source === 'configured' ? ' (PORTAL_IDENTITY_KEY)' : ''}`],
      ['Key since', time(profile.identity.createdAt)],
    ]),
  );
}
