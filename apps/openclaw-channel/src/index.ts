import { defineChannelPluginEntry, type PluginApi } from 'openclaw/plugin-sdk/channel-core';
import { agentP2pChannelPlugin, runtimeStore, type PluginRuntime } from './channel.js';
import { CONTACT_DENIED_TOOLS, isContactSessionKey, resolveAccount } from './config.js';

/**
 * A contact's turn runs on someone else's words: no tools that run commands or change files,
 * unless the owner set channels.agent-p2p.contactTools to "full".
 */
function registerContactToolPolicy(api: PluginApi): void {
  api.on('before_tool_call', (event, ctx) => {
    if (!isContactSessionKey(ctx.sessionKey) || !CONTACT_DENIED_TOOLS.has(String(event.toolName))) return undefined;
    // The config as it is now (the owner may have changed contactTools since the plugin loaded).
    if (resolveAccount(api.runtime?.config?.current?.() ?? api.config).contactTools === 'full') return undefined;
    return {
      block: true,
      blockReason: `${String(event.toolName)} is not available while answering an Agent P2P contact (channels.agent-p2p.contactTools is "restricted")`,
    };
  });
}

const entry = defineChannelPluginEntry({
  id: 'agent-p2p',
  name: 'Agent P2P',
  description: 'Agent P2P channel: contacts on an Agent P2P Portal are direct conversations.',
  plugin: agentP2pChannelPlugin,
  setRuntime: (runtime) => runtimeStore.setRuntime(runtime as PluginRuntime),
}) as { register: (api: PluginApi & { registrationMode?: string }) => void };

export default {
  ...entry,
  // The policy is registered in every registration of the plugin that serves agent runs, not only
  // the "full" one, so whichever registry the gateway activates carries it.
  register(api: PluginApi & { registrationMode?: string }): void {
    entry.register(api);
    if (api.registrationMode !== 'cli-metadata') registerContactToolPolicy(api);
  },
};
