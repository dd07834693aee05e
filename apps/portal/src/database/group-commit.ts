/**
 * Group commit: writes submitted while one batch is being committed are gathered and committed
 * together in the next one, so a burst of N small writes costs a few commits instead of N.
 * Each caller is answered only after the commit that holds its write.
 */
export class GroupCommit<T, R> {
  private queue: Array<{ item: T; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  private flushing = false;

  /**
   * @param commitBatch writes every item in one transaction and returns one result per item, in order
   * @param commitOne   used for each item alone when a whole batch fails, so one bad write fails alone
   */
  constructor(
    private readonly commitBatch: (items: T[]) => Promise<R[]>,
    private readonly commitOne: (item: T) => Promise<R>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      const results = await this.commitBatch(batch.map((entry) => entry.item));
      batch.forEach((entry, index) => entry.resolve(results[index]));
    } catch {
      for (const entry of batch) {
        await this.commitOne(entry.item).then(entry.resolve, entry.reject);
      }
    }
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.flushing = false;
  }
}
