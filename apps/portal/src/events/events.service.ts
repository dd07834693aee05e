import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { type EntityManager, MoreThan, type Repository } from 'typeorm';
import { PortalEvent } from './entities/portal-event.entity';
import type { EventType } from './event-types';

export interface EventRecord<T = Record<string, unknown>> {
  seq: number;
  id: string;
  type: EventType;
  createdAt: string;
  payload: T;
}

/**
 * The durable event log. Producers call append() inside their own transaction (so the event exists
 * exactly when the change does) and wake() after it commits, so live readers look at once.
 */
@Injectable()
export class EventsService {
  private readonly appended = new EventEmitter().setMaxListeners(0);

  constructor(@InjectRepository(PortalEvent) private readonly events: Repository<PortalEvent>) {}

  async append<T extends object>(manager: EntityManager, type: EventType, payload: T): Promise<EventRecord<T>> {
    const event = manager.create(PortalEvent, {
      id: randomUUID(),
      type,
      payload: JSON.stringify(payload),
      createdAt: new Date(),
    });
    const saved = await manager.save(PortalEvent, event);
    return toRecord(saved) as EventRecord<T>;
  }

  /** Tells live readers (WS, long-poll) that new events may be there. Call after the commit. */
  wake(): void {
    this.appended.emit('appended');
  }

  /** Calls listener after every wake(); returns the unsubscribe function. */
  onAppended(listener: () => void): () => void {
    this.appended.on('appended', listener);
    return () => this.appended.off('appended', listener);
  }

  async listAfter(seq: number, limit: number): Promise<EventRecord[]> {
    const rows = await this.events.find({ where: { seq: MoreThan(seq) }, order: { seq: 'ASC' }, take: limit });
    return rows.map(toRecord);
  }

  async latestSeq(): Promise<number> {
    const row = await this.events.find({ order: { seq: 'DESC' }, take: 1 });
    return row[0]?.seq ?? 0;
  }
}

function toRecord(event: PortalEvent): EventRecord {
  return {
    seq: Number(event.seq),
    id: event.id,
    type: event.type as EventType,
    createdAt: event.createdAt.toISOString(),
    payload: JSON.parse(event.payload) as Record<string, unknown>,
  };
}
