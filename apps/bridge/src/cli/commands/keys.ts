/** keys: this Portal's owner API keys, and the rotation of its identity key. */
import { PortalApiError } from '@agent-p2p/sdk';
import type { Command } from 'commander';
import { CliError, EXIT, UsageError } from '../../portal';
import { cut, safe, table, time, toJson } from '../../text';
import { UUID } from '../arguments';
import { command, group, run } from '../program';

export function registerKeys(program: Command): void {
  const keysGroup = group(program, 'keys', "This Portal's owner API keys and its identity key.", 'list');

  command(keysGroup, 'list', '', 'Owner API keys (prefixes only; secrets are never shown again)').action(
    run(async (context) => {
      const keys = await context.client().listKeys();
      if (context.json) return context.out(toJson(keys));
      if (keys.length === 0) return context.out('No keys.');
      context.out(
        table(
          ['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
          keys.map((k) => [k.id, safe(cut(k.name, 40)), safe(k.prefix), time(k.createdAt), time(k.lastUsedAt), time(k.revokedAt)]),
        ),
      );
    }),
  );

  command(keysGroup, 'create', '<name>', 'Create an owner API key; the secret is printed once')
    .argument('<name>')
    .action(
      run(async (context) => {
        const key = await context.client().createKey(context.positionals[0]);
        if (context.json) return context.out(toJson(key));
        context.out(`Key ${key.id} (${safe(key.name)}) created. Store it now, it is not shown again:`);
        context.out(key.key);
      }),
    );

  command(keysGroup, 'revoke', '<key-id>', 'Revoke an owner API key (it stops working at once)')
    .argument('<key-id>')
    .action(
      run(async (context) => {
        const id = context.positionals[0];
        if (!UUID.test(id)) throw new UsageError(`the key id must be a UUID as shown by "agent-p2p keys list" (got "${safe(id)}")`);
        const key = await context.client().revokeKey(id);
        if (context.json) return context.out(toJson(key));
        context.out(`Key ${key.id} (${safe(key.name)}) revoked.`);
      }),
    );

  command(
    keysGroup,
    'rotate-identity',
    '',
    "Replace this Portal's identity key with a new one; every contact is told (only when the owner asks)",
    [
      'The identity key signs every call this Portal makes to its contacts; they pinned its fingerprint.',
      'The old key signs a notice to each pending or active contact, so their Portals pin the new key',
      'without their owners doing anything (contacts that are down follow it later). The new fingerprint',
      'is what the owners compare from now on. Not possible when the key is set by PORTAL_IDENTITY_KEY.',
    ].join('\n'),
  ).action(
    run(async (context) => {
      const client = context.client();
      let rotation;
      try {
        rotation = await client.rotateIdentity();
      } catch (error) {
        if (error instanceof PortalApiError && error.status === 409) {
          const configured = (await client.getMe().catch(() => null))?.identity.source === 'configured';
          throw new CliError(
            configured
              ? "the identity key is set by PORTAL_IDENTITY_KEY: it cannot be rotated here (whoever runs the Portal replaces it there, and contacts' owners then re-pin it, or unsets it to let the Portal keep and rotate its own key)"
              : error.message,
            EXIT.refused,
          );
        }
        throw error;
      }
      if (context.json) return context.out(toJson(rotation));
      const told = rotation.contactsNotified;
      context.out(
        `Identity key rotated: ${safe(rotation.previousFingerprint)} → ${safe(rotation.identity.fingerprint)} (key ${safe(rotation.identity.keyId)}).`,
      );
      context.out(
        told === 0
          ? 'No contacts to tell.'
          : `${told} contact${told === 1 ? '' : 's'} told, each by a notice signed with the old key (their Portals pin the new one; the outbox retries those that are down).`,
      );
    }),
  );
}
