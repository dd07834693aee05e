/** login and status: saving a Portal URL and key, and what they reach. */
import { PortalApiError } from '@agent-p2p/sdk';
import type { Command } from 'commander';
import { API_KEY_VARIABLE, configDirOf, HUB_URL_VARIABLE, normalizeHubUrl, saveConfig } from '../../config';
import { CliError, clientFor, describePortalError, EXIT, UsageError } from '../../portal';
import { fields, safe, toJson } from '../../text';
import { text } from '../arguments';
import { command, run } from '../program';

export function registerLogin(program: Command): void {
  command(
    program,
    'login',
    '--hub URL --key KEY',
    'Check a Portal URL and owner key, then save them for the other commands',
    [
      'The key is checked against the Portal first; nothing is saved when it is refused.',
      'Saved to $XDG_CONFIG_HOME/agent-p2p/config.json (default ~/.config/agent-p2p/config.json):',
      'directory mode 0700, file mode 0600. Give "--key -" to read the key from stdin (keeps it out',
      `of the shell history). Without --hub/--key, ${HUB_URL_VARIABLE} and ${API_KEY_VARIABLE} are used.`,
      '',
      'Example: agent-p2p login --hub https://portal.example.com --key ap2p_o_…',
    ].join('\n'),
  ).action(
    run(async (context) => {
      let key = text(context.values.key) ?? context.env[API_KEY_VARIABLE]?.trim();
      const hub = text(context.values.hub) ?? context.env[HUB_URL_VARIABLE]?.trim();
      if (!hub || !key) throw new UsageError('login needs --hub URL and --key KEY (or "--key -" to read the key from stdin)');
      if (key === '-') key = (await context.readStdin()).trim();
      if (!key) throw new UsageError('the key read from stdin is empty');
      const hubUrl = normalizeHubUrl(hub);
      const me = await clientFor({ hubUrl, apiKey: key }, context.env).getMe();
      const configDir = configDirOf(context.env);
      const file = saveConfig(configDir, { hubUrl, apiKey: key });
      if (context.json) return context.out(toJson({ hubUrl, configFile: file, profile: me }));
      context.out(`Logged in to ${safe(hubUrl)} as ${safe(me.agentName)} (owner ${safe(me.ownerName)}).`);
      context.out(`Saved to ${safe(file)} (mode 0600).`);
    }),
  );

  command(
    program,
    'status',
    '',
    "Portal health, this agent's profile, whether the key works, contact and request counts",
    'Exits 1 when the key is refused, 3 when the Portal cannot be reached.',
  ).action(
    run(async (context) => {
      const config = context.config();
      const client = context.client();
      let health: { status: string; detail?: string };
      try {
        const answer = await client.getHealth();
        health = { status: answer.status };
      } catch (error) {
        if (!(error instanceof PortalApiError) || error.status === 0) throw error;
        health = { status: error.status === 503 ? 'degraded' : `error ${error.status}`, detail: error.message };
      }
      let keyError: string | null = null;
      let profile = null;
      let contacts: number | null = null;
      let requests: number | null = null;
      try {
        profile = await client.getMe();
        const [active, pending] = await Promise.all([client.listContacts('active'), client.listContactRequests('pending')]);
        contacts = active.length;
        requests = pending.length;
      } catch (error) {
        if (!(error instanceof PortalApiError) || error.status === 0 || error.status >= 500) throw error;
        keyError = describePortalError(error).message;
      }
      if (context.json) {
        context.out(
          toJson({
            hubUrl: config.hubUrl,
            configDir: config.configDir,
            health,
            key: { works: keyError === null, ...(keyError ? { error: keyError } : {}) },
            profile,
            contacts: { active: contacts },
            requests: { pending: requests },
          }),
        );
      } else {
        context.out(
          fields([
            ['Portal', `${safe(config.hubUrl)}  (health: ${safe(health.status)}${health.detail ? `, ${safe(health.detail)}` : ''})`],
            ['Key', keyError ? `refused: ${safe(keyError)}` : 'works'],
            ['Agent', profile ? `${safe(profile.agentName)} (owner ${safe(profile.ownerName)})` : '-'],
            ['Contacts', contacts === null ? '-' : `${contacts} active`],
            ['Requests', requests === null ? '-' : `${requests} pending${requests ? ' (agent-p2p requests list)' : ''}`],
          ]),
        );
      }
      if (keyError) throw new CliError(keyError, EXIT.refused);
    }),
  );
}
