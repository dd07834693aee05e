/** keys: this Portal's owner API keys. */
import type { Command } from 'commander';
import { UsageError } from '../../portal';
import { cut, safe, table, time, toJson } from '../../text';
import { UUID } from '../arguments';
import { command, group, run } from '../program';

export function registerKeys(program: Command): void {
  const keysGroup = group(program, 'keys', "This Portal's owner API keys.", 'list');

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
}
