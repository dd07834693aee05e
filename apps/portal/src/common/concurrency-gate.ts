/**
 * At most `limit` holders at once; a caller that finds it full is refused at once instead of queued
 * (a queue would let a flood keep the work, and the threads it needs, busy for as long as it lasts).
 */
export class ConcurrencyGate {
  private active = 0;

  constructor(private readonly limit: number) {}

  /** Takes a place, or returns null when every place is taken. The release function is idempotent. */
  tryEnter(): (() => void) | null {
    if (this.active >= this.limit) return null;
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
    };
  }

  /** Runs `work` inside the gate, or returns `busy` (without running it) when the gate is full. */
  async run<T, B>(work: () => Promise<T>, busy: () => B): Promise<T | B> {
    const release = this.tryEnter();
    if (!release) return busy();
    try {
      return await work();
    } finally {
      release();
    }
  }

  get inUse(): number {
    return this.active;
  }
}
