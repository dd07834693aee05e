import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In, LessThan, MoreThan, type Repository } from 'typeorm';
import { DEFAULT_AUTONOMY } from '../common/autonomy';
import { Clock } from '../common/clock';
import { inQuietHours, quietEndsAt } from '../common/quiet-hours';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { ContactsService } from '../contacts/contacts.service';
import { RawSql } from '../database/raw-sql';
import { EventsService } from '../events/events.service';
import { BackgroundHealth, backgroundBackoffMs } from '../health/background-health.service';
import { AgentWake } from './entities/agent-wake.entity';
import { type InboxState, InboxItem } from './entities/inbox-item.entity';
import { budgetFor, decide, dueAt } from './wake-policy';

/** Longest content a wake carries per message (the message itself has all of it). */
export const PREVIEW_CHARS = 4000;
/** With nothing due, the scheduler still looks this often (items another instance stored and could not wake). */
const IDLE_LOOK_MS = 10_000;
const JOB = 'governance';
const PRUNE_EVERY_MS = 3_600_000;
/** Decided inbox rows and wakes are kept at least this long (and at least the budget window). */
const MIN_KEEP_MS = 7 * 86_400_000;

/** Something governance decided, for the features that follow it (receipts). */
export interface GovernanceListener {
  /** Messages now waiting for the owner, by local message id. */
  held(messageIds: string[]): Promise<void> | void;
}

/**
 * Governance: what stands between a received message and a wake of the agent. Every received
 * message enters the agent's inbox in the transaction that stores it; a background scheduler groups
 * each contact's run of messages (coalescing), waits out quiet hours, and then applies the contact's
 * autonomy tier and budget: an `agent.wake` event (reply or inform), a hold for the owner's review
 * (`message.held`), or nothing (blocked). Every agent integration wakes on `agent.wake` only, so none
 * wakes a turn governance holds. The owner's review (ReviewService) releases or drops held messages.
 */
@Injectable()
export class GovernanceService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(GovernanceService.name);
  private readonly sql: RawSql;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private again = false;
  /**
   * Messages put in each contact's inbox since the last pass began (a hint, not the truth): a run
   * that fills a wake is due at once, so it wakes now rather than with the next coalescing look,
   * and a steady stream is decided a wake at a time instead of in bursts.
   */
  private readonly queuedSincePass = new Map<number, number>();
  private stopped = true;
  private readonly listeners: GovernanceListener[] = [];
  private prunedAt = 0;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(InboxItem) private readonly inbox: Repository<InboxItem>,
    private readonly dataSource: DataSource,
    private readonly contacts: ContactsService,
    private readonly events: EventsService,
    private readonly health: BackgroundHealth,
    readonly clock: Clock,
  ) {
    this.sql = new RawSql(dataSource);
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.poke();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Features that act on governance's decisions register here (receipts: seen, held). */
  listen(listener: GovernanceListener): void {
    this.listeners.push(listener);
  }

  /**
   * Puts a received message into the agent's inbox, in the caller's transaction (the one that stores
   * the message): plain SQL, as this is on the federation hot path. Call poke() after the commit.
   */
  async enqueueMessage(
    manager: EntityManager,
    message: { contactId: number; messageId: string; content: string; sentAt: Date; receivedAt: Date },
  ): Promise<void> {
    this.queuedSincePass.set(message.contactId, (this.queuedSincePass.get(message.contactId) ?? 0) + 1);
    const chars = Array.from(message.content);
    const cut = chars.length > PREVIEW_CHARS;
    await manager.query(
      this.sql.text(
        `INSERT INTO agent_inbox (contact_id, kind, ref_id, preview, preview_cut, sent_at, created_at, state)
         VALUES (?, 'message', ?, ?, ?, ?, ?, 'pending')`,
      ),
      [
        message.contactId,
        message.messageId,
        cut ? chars.slice(0, PREVIEW_CHARS).join('') : message.content,
        this.sql.postgres ? cut : cut ? 1 : 0,
        this.sql.date(message.sentAt),
        this.sql.date(message.receivedAt),
      ],
    );
  }

  /**
   * Puts a received file (complete, its SHA-256 checked) into the agent's inbox, in the caller's
   * transaction (the one that marks it received). Call poke() after the commit.
   */
  async enqueueFile(
    manager: EntityManager,
    file: { contactId: number; fileId: string; name: string; size: number; mime: string; sha256: string; receivedAt: Date },
  ): Promise<void> {
    const detail: FileDetail = { name: file.name, size: file.size, mime: file.mime, sha256: file.sha256 };
    await manager.query(
      this.sql.text(
        `INSERT INTO agent_inbox (contact_id, kind, ref_id, preview, preview_cut, sent_at, created_at, state)
         VALUES (?, 'file', ?, ?, ?, ?, ?, 'pending')`,
      ),
      [
        file.contactId,
        file.fileId,
        JSON.stringify(detail),
        this.sql.postgres ? false : 0,
        this.sql.date(file.receivedAt),
        this.sql.date(file.receivedAt),
      ],
    );
  }

  /** New messages are in the inbox (committed): look at once. */
  poke(): void {
    const { coalesceQuietMs, coalesceMaxMs, maxMessagesPerWake } = this.config.governance;
    const full = [...this.queuedSincePass.values()].some((count) => count >= maxMessagesPerWake);
    this.schedule(full ? 0 : Math.min(coalesceQuietMs, coalesceMaxMs));
  }

  /** Runs one pass now and waits for it (tests with a moved clock; the owner's review). */
  runOnce(): Promise<void> {
    return this.pass();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Number.POSITIVE_INFINITY;
        void this.pass();
      },
      Math.max(0, delayMs),
    );
    this.timer.unref?.();
  }

  private async pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let next: number;
      try {
        do {
          this.again = false;
          this.queuedSincePass.clear();
          next = await this.wakeDueRuns();
        } while (this.again && !this.stopped);
        this.health.recovered(JOB);
      } catch (error) {
        const failures = this.health.failed(JOB, error);
        next = backgroundBackoffMs(failures);
        this.logger.warn(`governance pass failed (${failures} in a row); next try in ${next} ms: ${(error as Error).message}`);
      } finally {
        this.running = null;
      }
      this.schedule(next);
    })();
    return this.running;
  }

  /** Wakes (or holds) every contact's run that is due; returns how long until the next one is. */
  private async wakeDueRuns(): Promise<number> {
    const settings = this.config.governance;
    const now = this.clock.now();
    await this.prune(now);
    if (inQuietHours(now, settings.quietHours, settings.timeZone)) {
      return Math.min(IDLE_LOOK_MS * 6, Math.max(1000, quietEndsAt(now, settings.quietHours, settings.timeZone).getTime() - now.getTime()));
    }
    const runs = (await this.inbox
      .createQueryBuilder('i')
      .select('i.contact_id', 'contactId')
      .addSelect('COUNT(*)', 'count')
      .addSelect('MIN(i.created_at)', 'firstAt')
      .addSelect('MAX(i.created_at)', 'lastAt')
      .where('i.state = :state', { state: 'pending' })
      .groupBy('i.contact_id')
      .getRawMany()) as Array<{ contactId: number | string; count: number | string; firstAt: Date | string; lastAt: Date | string }>;
    let next = IDLE_LOOK_MS;
    for (const raw of runs) {
      const run = { count: Number(raw.count), firstAt: this.sql.readDate(raw.firstAt), lastAt: this.sql.readDate(raw.lastAt) };
      const due = dueAt(run, settings).getTime() - now.getTime();
      if (due > 0) {
        next = Math.min(next, due);
        continue;
      }
      // A run longer than one wake becomes several, one after the other. Between two contacts the
      // writes that queued meanwhile (messages arriving) go first: a pass never holds them up long.
      while (!this.stopped && (await this.wakeContact(Number(raw.contactId), now))) await yieldToQueued();
      await yieldToQueued();
    }
    return next;
  }

  /**
   * At most once an hour: forgets decided inbox rows and wakes older than the budget window (and a
   * week at least). Held and pending rows are never removed: they wait for the owner or their wake.
   */
  private async prune(now: Date): Promise<void> {
    if (now.getTime() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now.getTime();
    const before = new Date(now.getTime() - Math.max(this.config.governance.budgetWindowSeconds * 1000, MIN_KEEP_MS));
    await this.inbox.delete({ state: In(['woken', 'informed', 'released', 'dropped', 'blocked']), decidedAt: LessThan(before) });
    await this.dataSource.getRepository(AgentWake).delete({ createdAt: LessThan(before) });
  }

  /**
   * Decides one contact's oldest pending messages (at most a wake's worth). Returns true when more
   * are pending after them. The claim (state pending → decided) fails when another instance took
   * the same rows; that pass is rolled back and the next one looks again.
   */
  private async wakeContact(contactId: number, now: Date): Promise<boolean> {
    const settings = this.config.governance;
    const contact = await this.contacts.findById(contactId);
    const tier = contact?.autonomy ?? DEFAULT_AUTONOMY;
    const outcome = await this.dataSource
      .transaction(async (manager) => {
        const items = await manager.find(InboxItem, {
          where: { state: 'pending', contactId },
          order: { id: 'ASC' },
          take: settings.maxMessagesPerWake + 1,
        });
        const more = items.length > settings.maxMessagesPerWake;
        const taken = items.slice(0, settings.maxMessagesPerWake);
        if (taken.length === 0) return null;
        const since = new Date(now.getTime() - settings.budgetWindowSeconds * 1000);
        const used = await manager.count(AgentWake, { where: { contactId, mode: 'reply', reason: 'new', createdAt: MoreThan(since) } });
        // A contact removed (or gone) since its messages came: nobody is woken to answer it.
        const decision = contact?.status === 'active' ? decide(tier, used, settings) : ({ action: 'block' } as const);
        const ids = taken.map((item) => item.id);
        if (decision.action === 'block') {
          await this.claim(manager, ids, 'blocked', null, null, now);
          return { more, held: [] as string[] };
        }
        if (decision.action === 'hold') {
          await this.claim(manager, ids, 'held', decision.reason, null, now);
          await this.events.append(manager, 'message.held', {
            contactId,
            contactName: contact?.agentName ?? '',
            reason: decision.reason,
            messageIds: taken.filter((item) => item.kind !== 'file').map((item) => item.refId),
            fileIds: taken.filter((item) => item.kind === 'file').map((item) => item.refId),
            budget: budgetFor(tier, settings),
            windowSeconds: settings.budgetWindowSeconds,
          });
          return { more, held: taken.filter((item) => item.kind !== 'file').map((item) => item.refId) };
        }
        await this.wake(manager, contactId, contact?.agentName ?? '', decision.mode, 'new', taken, now);
        return { more, held: [] };
      })
      .catch((error: unknown) => {
        if (error instanceof ClaimLostError) return null;
        throw error;
      });
    if (!outcome) return false;
    this.events.wake();
    await this.tell(outcome);
    return outcome.more;
  }

  /**
   * Records a wake and emits its `agent.wake` event, in the caller's transaction; the items move to
   * woken, informed or released. Shared with the owner's review (released messages).
   */
  async wake(
    manager: EntityManager,
    contactId: number,
    contactName: string,
    mode: 'reply' | 'inform',
    reason: 'new' | 'released',
    items: InboxItem[],
    now: Date,
  ): Promise<void> {
    const wake = await manager.save(manager.create(AgentWake, { contactId, mode, reason, messageCount: items.length, createdAt: now }));
    const state: InboxState = reason === 'released' ? 'released' : mode === 'inform' ? 'informed' : 'woken';
    await this.claim(
      manager,
      items.map((item) => item.id),
      state,
      null,
      wake.id,
      now,
      reason === 'released' ? ['held', 'pending'] : ['pending'],
    );
    await this.events.append(manager, 'agent.wake', {
      wakeId: wake.id,
      contactId,
      contactName,
      mode,
      reason,
      messages: items
        .filter((item) => item.kind !== 'file')
        .map((item) => ({
          messageId: item.refId,
          content: item.preview,
          cut: Boolean(item.previewCut),
          sentAt: item.sentAt.toISOString(),
        })),
      files: items.filter((item) => item.kind === 'file').map((item) => ({ fileId: item.refId, ...fileDetail(item.preview) })),
    });
  }

  /** Moves items on from `from`; throws (rolling the transaction back) when another writer moved one first. */
  private async claim(
    manager: EntityManager,
    ids: number[],
    state: InboxState,
    reason: string | null,
    wakeId: number | null,
    now: Date,
    from: InboxState[] = ['pending'],
  ): Promise<void> {
    const result = await manager.update(InboxItem, { id: In(ids), state: In(from) }, { state, reason, wakeId, decidedAt: now });
    if ((result.affected ?? ids.length) !== ids.length) throw new ClaimLostError();
  }

  /** Tells the listeners (after the commit); their failures are logged, never undo a wake. */
  async tell(outcome: { held: string[] }): Promise<void> {
    for (const listener of this.listeners) {
      try {
        if (outcome.held.length > 0) await listener.held(outcome.held);
      } catch (error) {
        this.logger.warn(`a governance listener failed: ${(error as Error).message}`);
      }
    }
  }
}

/** Lets work that queued while a pass ran (HTTP requests, their transactions) go first. */
function yieldToQueued(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What a wake shows of a received file (kept as JSON in the inbox row's preview). */
interface FileDetail {
  name: string;
  size: number;
  mime: string;
  sha256: string;
}

function fileDetail(preview: string): FileDetail {
  try {
    const value = JSON.parse(preview) as Partial<FileDetail>;
    return {
      name: String(value.name ?? ''),
      size: Number(value.size ?? 0),
      mime: String(value.mime ?? ''),
      sha256: String(value.sha256 ?? ''),
    };
  } catch {
    return { name: '', size: 0, mime: '', sha256: '' };
  }
}

/** Another instance decided the same inbox items first. */
export class ClaimLostError extends Error {
  constructor() {
    super('another instance decided these messages first');
    this.name = 'ClaimLostError';
  }
}
