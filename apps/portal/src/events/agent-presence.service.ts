import { Injectable } from '@nestjs/common';
import type { AgentStatusDto } from './dto/agent-status.dto';

/**
 * Whether an agent (the Bridge, the MCP channel, any owner-key consumer of the event log) is
 * connected to this Portal instance right now: its open WS /ws sockets and long-polls in flight,
 * with when the oldest began and when an owner key last acked. Kept in memory: it is about now.
 */
@Injectable()
export class AgentPresenceService {
  private readonly sockets = new Map<object, Date>();
  private readonly polls = new Map<object, Date>();
  private lastAckAt: Date | null = null;

  socketOpened(socket: object): void {
    this.sockets.set(socket, new Date());
  }

  socketClosed(socket: object): void {
    this.sockets.delete(socket);
  }

  /** A long-poll began; call the returned function when it ends. */
  pollStarted(): () => void {
    const token = {};
    this.polls.set(token, new Date());
    return () => this.polls.delete(token);
  }

  acked(): void {
    this.lastAckAt = new Date();
  }

  status(): AgentStatusDto {
    const since = [...this.sockets.values(), ...this.polls.values()].reduce<Date | null>(
      (oldest, at) => (oldest === null || at < oldest ? at : oldest),
      null,
    );
    return {
      connected: this.sockets.size + this.polls.size > 0,
      sockets: this.sockets.size,
      polls: this.polls.size,
      since: since?.toISOString() ?? null,
      lastAckAt: this.lastAckAt?.toISOString() ?? null,
    };
  }
}
