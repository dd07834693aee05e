import { WS_CLOSE } from '@agent-p2p/protocol';
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { type Credential, CredentialsService } from '../auth/credentials.service';
import type { Principal } from '../auth/auth.decorator';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { AgentPresenceService } from './agent-presence.service';
import { EventCursorService } from './event-cursor.service';
import { EventSocket } from './event-socket';
import { EventsService } from './events.service';
import type { UpgradeVerdict } from './portal-ws-adapter';

export const EVENTS_WS_PATH = '/ws';

interface Authenticated {
  principal: Principal;
  credential: Credential;
}

/**
 * WS /ws: the event stream for the Bridge (owner key in a header) and the console (session
 * cookie). Credentials are checked before the upgrade (PortalWsAdapter calls verifyUpgrade), so a
 * refused client gets a plain HTTP 401/403/429; the socket then speaks the protocol in EventSocket.
 */
@WebSocketGateway({ path: EVENTS_WS_PATH })
export class EventsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger(EventsGateway.name);
  private readonly upgrades = new WeakMap<IncomingMessage, Authenticated>();
  private readonly sockets = new Map<string, Set<EventSocket>>();
  private heartbeatTimer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    private readonly credentials: CredentialsService,
    private readonly events: EventsService,
    private readonly cursors: EventCursorService,
    private readonly presence: AgentPresenceService,
  ) {}

  afterInit(): void {
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.config.ws.heartbeatSeconds * 1000);
    this.heartbeatTimer.unref();
  }

  /** Before the upgrade: an owner key (header) or a console session (cookie, same origin), and room for one more socket. */
  async verifyUpgrade(request: IncomingMessage): Promise<UpgradeVerdict> {
    const credential = this.credentials.extract(request.headers);
    if (!credential) {
      return { ok: false, status: 401, message: 'Send an owner key as "Authorization: Bearer ap2p_o_…" or log in to the console' };
    }
    const principal = await this.credentials.resolve(credential);
    if (!principal) return { ok: false, status: 401, message: 'Invalid, expired or revoked credential' };
    if (principal.kind !== 'agent' && principal.kind !== 'owner') {
      return { ok: false, status: 403, message: 'The event stream does not accept a contact key' };
    }
    if (principal.kind === 'owner' && !this.sameOrigin(request)) {
      return { ok: false, status: 403, message: 'Cross-origin WebSocket refused' };
    }
    if ((this.sockets.get(credentialKey(principal))?.size ?? 0) >= this.config.ws.maxSocketsPerCredential) {
      return { ok: false, status: 429, message: `At most ${this.config.ws.maxSocketsPerCredential} sockets per credential` };
    }
    this.upgrades.set(request, { principal, credential });
    return { ok: true };
  }

  handleConnection(ws: WebSocket, request: IncomingMessage): void {
    const authenticated = this.upgrades.get(request);
    this.upgrades.delete(request);
    if (!authenticated) {
      ws.close(WS_CLOSE.unauthorized, 'Not authenticated');
      return;
    }
    const key = credentialKey(authenticated.principal);
    const group = this.sockets.get(key) ?? new Set<EventSocket>();
    if (group.size >= this.config.ws.maxSocketsPerCredential) {
      ws.close(WS_CLOSE.policyViolation, 'Too many sockets for this credential');
      return;
    }
    const socket = new EventSocket(ws, authenticated.principal, {
      events: this.events,
      cursors: this.cursors,
      logger: this.logger,
      maxBufferedBytes: this.config.ws.maxBufferedBytes,
    });
    credentialsBySocket.set(socket, authenticated.credential);
    group.add(socket);
    this.sockets.set(key, group);
    if (authenticated.principal.kind === 'agent') this.presence.socketOpened(socket);
    ws.once('close', () => {
      this.presence.socketClosed(socket);
      group.delete(socket);
      if (group.size === 0 && this.sockets.get(key) === group) this.sockets.delete(key);
    });
  }

  /** Graceful shutdown: every socket is told 1001 (going away) and given a moment to close. */
  async onModuleDestroy(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    const closing: Array<Promise<void>> = [];
    for (const socket of this.allSockets()) {
      closing.push(new Promise<void>((resolve) => socket.ws.once('close', () => resolve())));
      socket.close(WS_CLOSE.goingAway, 'Portal shutting down');
    }
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    for (const socket of this.allSockets()) socket.ws.terminate();
  }

  /** Pings every socket, drops the silent ones and closes those whose credential stopped working. */
  private async heartbeat(): Promise<void> {
    for (const socket of this.allSockets()) socket.heartbeat();
    for (const [key, group] of this.sockets) {
      const first = group.values().next().value;
      const credential = first ? credentialsBySocket.get(first) : undefined;
      if (!credential) continue;
      try {
        if (await this.credentials.resolve(credential)) continue;
      } catch {
        continue;
      }
      for (const socket of this.sockets.get(key) ?? []) socket.close(WS_CLOSE.unauthorized, 'Credential revoked or expired');
    }
  }

  private *allSockets(): Generator<EventSocket> {
    for (const group of this.sockets.values()) yield* group;
  }

  /**
   * Browsers always send Origin; it must be this Portal: scheme, host and port of its public URL, or
   * of the address it was reached at (the Host header, with this connection's scheme).
   */
  private sameOrigin(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (!origin) return true;
    const actual = originOf(origin);
    if (actual === null) return false;
    if (actual === originOf(this.config.publicUrl)) return true;
    const host = request.headers.host;
    return host !== undefined && actual === originOf(`${this.schemeOf(request)}://${host}`);
  }

  private schemeOf(request: IncomingMessage): 'http' | 'https' {
    const forwarded = this.config.trustProxy ? request.headers['x-forwarded-proto'] : undefined;
    const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0].trim().toLowerCase();
    if (proto === 'http' || proto === 'https') return proto;
    return (request.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  }
}

/** scheme://host[:port] of an http(s) URL (default ports dropped), or null for anything else. */
function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

const credentialsBySocket = new WeakMap<EventSocket, Credential>();

function credentialKey(principal: Principal): string {
  switch (principal.kind) {
    case 'agent':
      return `key:${principal.keyId}`;
    case 'owner':
      return `session:${principal.sessionId}`;
    default:
      return `contact:${principal.contactId}`;
  }
}
