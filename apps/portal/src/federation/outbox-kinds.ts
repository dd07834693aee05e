import type { OutboxSettings } from '../config/portal-config';
import type { OutboxHandler, OutboxKindOptions, OutboxLane } from './outbox-types';

/** A kind's options once registered: its lane is always known. */
export type KindOptions = Required<Pick<OutboxKindOptions, 'lane'>> & OutboxKindOptions;

/** The handler and options each feature registered for its kinds of outbox item. */
export class OutboxKinds {
  private readonly handlers = new Map<string, OutboxHandler>();
  private readonly options = new Map<string, KindOptions>();

  constructor(private readonly settings: OutboxSettings) {}

  register(kind: string, handler: OutboxHandler, options: OutboxKindOptions = {}): void {
    this.handlers.set(kind, handler);
    const lane = options.lane ?? 'contacts';
    const strangers = this.settings.strangers;
    this.options.set(
      kind,
      lane === 'strangers'
        ? {
            lane,
            timeoutMs: options.timeoutMs ?? strangers.timeoutMs,
            maxAttempts: options.maxAttempts ?? strangers.maxAttempts,
            giveUpMs: options.giveUpMs ?? strangers.giveUpMinutes * 60_000,
          }
        : { ...options, lane },
    );
  }

  handler(kind: string): OutboxHandler | undefined {
    return this.handlers.get(kind);
  }

  optionsOf(kind: string): KindOptions | undefined {
    return this.options.get(kind);
  }

  /** Unknown kinds (no handler: they fail at once) belong to the contacts lane. */
  laneOf(kind: string): OutboxLane {
    return this.options.get(kind)?.lane ?? 'contacts';
  }

  strangerKinds(): string[] {
    return [...this.options].filter(([, options]) => options.lane === 'strangers').map(([kind]) => kind);
  }
}
