/**
 * The parts of the OpenClaw plugin SDK (openclaw 2026.9.x) this plugin uses. The gateway provides
 * `openclaw/plugin-sdk/*` at run time; the plugin ships no copy of openclaw, so these are typed
 * here from the SDK's documentation, only as far as the plugin relies on them.
 */
declare module 'openclaw/plugin-sdk/channel-core' {
  export type OpenClawConfig = { channels?: Record<string, unknown>; commands?: Record<string, unknown>; [key: string]: unknown };
  export interface ChannelPluginLike {
    id: string;
    [key: string]: unknown;
  }
  export function createChatChannelPlugin<_Account>(options: {
    base: Record<string, unknown>;
    outbound?: Record<string, unknown>;
    pairing?: Record<string, unknown>;
    security?: Record<string, unknown>;
  }): ChannelPluginLike;
  export function buildChannelOutboundSessionRoute(params: Record<string, unknown>): unknown;
  export interface PluginApi {
    on(
      hook: string,
      handler: (event: Record<string, unknown>, ctx: Record<string, unknown>) => unknown,
      options?: Record<string, unknown>,
    ): void;
    pluginConfig?: unknown;
    logger?: { info?: (message: string) => void; warn?: (message: string) => void };
    runtime?: { config?: { current?: () => OpenClawConfig } };
    config?: OpenClawConfig;
  }
  export function defineChannelPluginEntry(options: {
    id: string;
    name: string;
    description: string;
    plugin: ChannelPluginLike;
    setRuntime?: (runtime: unknown) => void;
    registerFull?: (api: PluginApi) => void;
  }): unknown;
}

declare module 'openclaw/plugin-sdk/channel-outbound' {
  export interface MessageReceipt {
    [key: string]: unknown;
  }
  export function createMessageReceiptFromOutboundResults(params: {
    results: Array<{ channel: string; messageId: string }>;
    kind: 'text' | 'media';
  }): MessageReceipt;
  export function defineChannelMessageAdapter<T>(adapter: T): T;
  export function waitUntilAbort(signal: AbortSignal): Promise<void>;
}

declare module 'openclaw/plugin-sdk/channel-inbound' {
  export interface InboundRoute {
    agentId: string;
    accountId?: string;
    dmScope?: string;
    sessionKey: string;
    mainSessionKey?: string;
  }
  export function resolveChannelInboundRouteEnvelope(params: Record<string, unknown>): {
    route: InboundRoute;
    buildEnvelope: (params: { channel: string; from: string; timestamp: number; body: string }) => string;
  };
  export function recordChannelBotPairLoopAndCheckSuppression(params: {
    scopeId: string;
    conversationId: string;
    senderId: string;
    receiverId: string;
    eventId?: string;
    config?: Record<string, unknown>;
    defaultsConfig?: Record<string, unknown>;
    defaultEnabled: boolean;
  }): { suppressed: boolean };
}

declare module 'openclaw/plugin-sdk/channel-pairing' {
  export interface ChannelPairingController {
    issueChallenge(params: {
      senderId: string;
      senderIdLine: string;
      meta?: Record<string, string>;
      sendPairingReply: (text: string) => Promise<void>;
    }): Promise<unknown>;
    readAllowFromStore(): Promise<string[]>;
    removeAllowFromStoreEntry(entry: string): Promise<{ changed: boolean }>;
  }
  export function createChannelPairingController(params: { core: unknown; channel: string; accountId: string }): ChannelPairingController;
}

declare module 'openclaw/plugin-sdk/runtime-store' {
  export function createPluginRuntimeStore<T>(options: { pluginId: string; errorMessage: string }): {
    setRuntime: (runtime: T) => void;
    getRuntime: () => T;
  };
}

declare module 'openclaw/plugin-sdk/reply-payload' {
  export function isReplyPayloadTerminalContent(payload: unknown): boolean;
}
