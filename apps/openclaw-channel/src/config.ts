import type { OpenClawConfig } from 'openclaw/plugin-sdk/channel-core';

export const CHANNEL_ID = 'agent-p2p';
export const DEFAULT_ACCOUNT_ID = 'default';

/** `channels.agent-p2p` in openclaw.json (validated by the manifest's schema before it gets here). */
export interface AgentP2pChannelConfig {
  enabled?: boolean;
  portalUrl?: string;
  apiKey?: string;
  apiKeyEnv?: string;
  replyMode?: 'message-tool' | 'automatic';
  contactTools?: 'restricted' | 'full';
  botLoopProtection?: { enabled?: boolean; maxEventsPerWindow?: number; windowSeconds?: number; cooldownSeconds?: number };
}

export interface AgentP2pAccount {
  accountId: string;
  enabled: boolean;
  configured: boolean;
  portalUrl: string;
  /** The owner key, resolved from apiKey or the variable apiKeyEnv names; '' when missing. */
  apiKey: string;
  /** Why the account cannot start ('' when it can). */
  problem: string;
  replyMode: 'message-tool' | 'automatic';
  contactTools: 'restricted' | 'full';
  config: AgentP2pChannelConfig;
}

export function channelSection(cfg: OpenClawConfig | undefined): AgentP2pChannelConfig | undefined {
  const section = cfg?.channels?.[CHANNEL_ID];
  return section && typeof section === 'object' ? (section as AgentP2pChannelConfig) : undefined;
}

export function resolveAccount(
  cfg: OpenClawConfig | undefined,
  accountId?: string | null,
  env: NodeJS.ProcessEnv = process.env,
): AgentP2pAccount {
  const config = channelSection(cfg) ?? {};
  const portalUrl = (config.portalUrl ?? '').trim().replace(/\/+$/, '');
  let apiKey = (config.apiKey ?? '').trim();
  let problem = '';
  if (!apiKey && config.apiKeyEnv) apiKey = (env[config.apiKeyEnv] ?? '').trim();
  if (!portalUrl) problem = 'channels.agent-p2p.portalUrl is not set';
  else if (!/^https?:\/\/\S+$/.test(portalUrl)) problem = `channels.agent-p2p.portalUrl must be an http(s) URL (got "${portalUrl}")`;
  else if (!apiKey) {
    problem = config.apiKeyEnv
      ? `the environment variable ${config.apiKeyEnv} (channels.agent-p2p.apiKeyEnv) is not set`
      : 'channels.agent-p2p needs apiKey or apiKeyEnv (an owner key ap2p_o_…)';
  } else if (!apiKey.startsWith('ap2p_o_')) problem = 'the owner key must start with ap2p_o_';
  return {
    accountId: accountId || DEFAULT_ACCOUNT_ID,
    enabled: config.enabled !== false,
    configured: problem === '',
    portalUrl,
    apiKey,
    problem,
    replyMode: config.replyMode ?? 'message-tool',
    contactTools: config.contactTools ?? 'restricted',
    config,
  };
}

/** Tools a contact's turn may not use unless `contactTools: "full"`: they change or run things on this machine. */
export const CONTACT_DENIED_TOOLS = new Set(['exec', 'process', 'bash', 'write', 'edit', 'apply_patch']);

/** `agent:<agent>:agent-p2p:<account>:direct:<contactId>`: the session of one contact's conversation. */
export function isContactSessionKey(sessionKey: unknown): boolean {
  return typeof sessionKey === 'string' && /^agent:[^:]+:agent-p2p:[^:]+:direct:/.test(sessionKey);
}

/**
 * Targets: `contact:<id>`, `agent-p2p:<id>` or a bare contact id. Returns the contact id, or
 * undefined when the text is no contact target.
 */
export function normalizeContactTarget(raw: string): string | undefined {
  const target = raw
    .trim()
    .replace(/^agent-p2p:/i, '')
    .replace(/^contact:/i, '')
    .trim();
  return /^[1-9]\d{0,9}$/.test(target) ? target : undefined;
}
