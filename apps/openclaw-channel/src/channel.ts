import { buildChannelOutboundSessionRoute, createChatChannelPlugin, type OpenClawConfig } from 'openclaw/plugin-sdk/channel-core';
import { createMessageReceiptFromOutboundResults, defineChannelMessageAdapter } from 'openclaw/plugin-sdk/channel-outbound';
import { createPluginRuntimeStore } from 'openclaw/plugin-sdk/runtime-store';
import { runAccount, type StartAccountContext } from './account.js';
import { CHANNEL_ID, DEFAULT_ACCOUNT_ID, channelSection, normalizeContactTarget, resolveAccount } from './config.js';
import type { ChannelRuntimeLike, SystemRuntimeLike } from './inbound.js';
import { sendMediaToContact } from './files.js';
import { inboundIdOf, textSendId } from './ids.js';
import { portalClient, sendToContact } from './portal.js';

export type PluginRuntime = SystemRuntimeLike & { channel?: ChannelRuntimeLike };

export const runtimeStore = createPluginRuntimeStore<PluginRuntime>({
  pluginId: CHANNEL_ID,
  errorMessage: 'Agent P2P channel runtime not initialised',
});

interface SendTextContext {
  cfg: OpenClawConfig;
  accountId?: string | null;
  to: string;
  text: string;
  /** Inside a contact's turn, the gateway passes the turn's inbound id (the Portal's message or file id). */
  replyToId?: string | null;
}

/**
 * Sends text to a contact through the Portal; the receipt carries the Portal's message id. A send
 * answering a Portal message (the message tool inside a contact's turn) gets an id derived from it,
 * so the same text sent again by a replayed turn is stored once.
 */
export async function sendText(ctx: SendTextContext): Promise<{ to: string; messageId: string }> {
  const account = resolveAccount(ctx.cfg, ctx.accountId);
  if (!account.configured) throw new Error(`agent-p2p: ${account.problem}`);
  const contact = normalizeContactTarget(ctx.to);
  if (!contact) throw new Error(`agent-p2p: "${ctx.to}" is no contact; use contact:<id> (the ids of "agent-p2p contacts")`);
  const text = ctx.text.trim();
  if (!text) throw new Error('agent-p2p: an empty message is not sent');
  const inbound = inboundIdOf(ctx.replyToId);
  const message = await sendToContact(
    portalClient(account),
    Number(contact),
    text,
    inbound ? textSendId(inbound, Number(contact), text) : undefined,
  );
  return { to: `contact:${contact}`, messageId: message.id };
}

interface SendMediaContext extends SendTextContext {
  mediaUrl?: string;
  mediaLocalRoots?: string[];
}

/**
 * Sends a local file (the message tool's media) to a contact through the Portal's verified file
 * transfer. Inside a contact's turn the file and its caption get ids derived from the inbound
 * message: a replayed turn does not send the same file twice.
 */
export async function sendMedia(ctx: SendMediaContext): Promise<{ to: string; messageId: string }> {
  const account = resolveAccount(ctx.cfg, ctx.accountId);
  if (!account.configured) throw new Error(`agent-p2p: ${account.problem}`);
  const contact = normalizeContactTarget(ctx.to);
  if (!contact) throw new Error(`agent-p2p: "${ctx.to}" is no contact; use contact:<id> (the ids of "agent-p2p contacts")`);
  const source = (ctx.mediaUrl ?? '').replace(/^file:\/\//, '');
  if (!source || /^[a-z]+:\/\//i.test(source)) throw new Error('agent-p2p: only local files can be sent to a contact (give a path)');
  const file = await sendMediaToContact(portalClient(account), Number(contact), source, ctx.text ?? '', inboundIdOf(ctx.replyToId));
  return { to: `contact:${contact}`, messageId: file.id };
}

const messageAdapter = defineChannelMessageAdapter({
  id: CHANNEL_ID,
  durableFinal: { capabilities: { text: true, media: true } },
  send: {
    media: async (ctx: SendMediaContext) => {
      const result = await sendMedia(ctx);
      return {
        messageId: result.messageId,
        receipt: createMessageReceiptFromOutboundResults({
          results: [{ channel: CHANNEL_ID, messageId: result.messageId }],
          kind: 'media',
        }),
      };
    },
    text: async (ctx: SendTextContext) => {
      const result = await sendText(ctx);
      return {
        messageId: result.messageId,
        receipt: createMessageReceiptFromOutboundResults({ results: [{ channel: CHANNEL_ID, messageId: result.messageId }], kind: 'text' }),
      };
    },
  },
});

const meta = {
  id: CHANNEL_ID,
  label: 'Agent P2P',
  selectionLabel: 'Agent P2P (Portal contacts)',
  blurb: 'Each contact on your Agent P2P Portal becomes a conversation; the agent answers with its message tool.',
  order: 80,
};

export const agentP2pChannelPlugin = createChatChannelPlugin({
  base: {
    id: CHANNEL_ID,
    meta,
    capabilities: { chatTypes: ['direct'] },
    reload: { configPrefixes: [`channels.${CHANNEL_ID}`] },
    config: {
      listAccountIds: (cfg: OpenClawConfig) => (channelSection(cfg) ? [DEFAULT_ACCOUNT_ID] : []),
      resolveAccount: (cfg: OpenClawConfig, accountId?: string | null) => resolveAccount(cfg, accountId),
      defaultAccountId: () => DEFAULT_ACCOUNT_ID,
      inspectAccount: (cfg: OpenClawConfig) => {
        const account = resolveAccount(cfg);
        return { enabled: account.enabled, configured: account.configured, tokenStatus: account.apiKey ? 'available' : 'missing' };
      },
      isConfigured: (account: ReturnType<typeof resolveAccount>) => account.configured,
      isEnabled: (account: ReturnType<typeof resolveAccount>) => account.enabled,
      resolveAllowFrom: () => [],
    },
    messaging: {
      normalizeTarget: normalizeContactTarget,
      inferTargetChatType: () => 'direct',
      targetResolver: { looksLikeId: (raw: string) => normalizeContactTarget(raw) !== undefined, hint: 'contact:<id>' },
      resolveOutboundSessionRoute: ({
        cfg,
        agentId,
        accountId,
        target,
      }: {
        cfg: OpenClawConfig;
        agentId: string;
        accountId?: string | null;
        target: string;
      }) => {
        const contact = normalizeContactTarget(target);
        if (!contact) return null;
        return buildChannelOutboundSessionRoute({
          cfg,
          agentId,
          channel: CHANNEL_ID,
          accountId,
          recipientSessionExact: true,
          peer: { kind: 'direct', id: contact },
          chatType: 'direct',
          from: `${CHANNEL_ID}:${accountId ?? DEFAULT_ACCOUNT_ID}`,
          to: contact,
        });
      },
    },
    // Contact requests are pairing requests (pairing.ts); approvals are read back from the allowlist.
    pairing: { idLabel: 'agentP2pContactRequest', normalizeAllowEntry: (entry: string) => entry.trim() },
    security: {
      resolveDmPolicy: () => ({
        policy: 'pairing',
        allowFrom: [],
        policyPath: 'Agent P2P Portal contacts',
        allowFromPath: 'Agent P2P Portal contacts',
        approveHint: 'openclaw pairing approve agent-p2p <code>',
        normalizeEntry: (entry: string) => entry.trim(),
      }),
    },
    gateway: { startAccount: async (ctx: StartAccountContext) => runAccount(ctx, runtimeStore.getRuntime()) },
    message: messageAdapter,
  },
  outbound: {
    base: { deliveryMode: 'direct' },
    attachedResults: {
      channel: CHANNEL_ID,
      sendText: async (ctx: SendTextContext) => sendText(ctx),
      sendMedia: async (ctx: SendMediaContext) => sendMedia(ctx),
    },
  },
});
