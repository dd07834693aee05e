import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** A FIFO lock: run() calls execute one at a time, in the order they arrived. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/**
 * Embedded SQLite has one connection, which TypeORM shares between every caller. Two transactions
 * that overlap in time would interleave on it (and fail with "cannot start a transaction within a
 * transaction", or worse, mix their writes). This makes the data source take turns:
 * - each transaction runs alone, and everything awaited inside it runs inside it;
 * - save()/remove() outside a transaction (which open one of their own) become transactions;
 * - any other statement outside a transaction waits until no transaction is open.
 * better-sqlite3 is synchronous, so this costs a few microtasks, not throughput.
 */
export function serializeSqliteAccess(dataSource: DataSource): void {
  if (dataSource.options.type !== 'better-sqlite3') return;
  const insideTransaction = new AsyncLocalStorage<true>();
  const mutex = new Mutex();
  const manager = dataSource.manager as EntityManager & Record<string, unknown>;

  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  manager.transaction = ((...args: unknown[]) =>
    insideTransaction.getStore()
      ? transaction(...args)
      : mutex.run(() => insideTransaction.run(true, () => transaction(...args)))) as EntityManager['transaction'];

  for (const name of ['save', 'remove', 'softRemove', 'recover'] as const) {
    const original = (manager[name] as (...args: unknown[]) => Promise<unknown>).bind(manager);
    manager[name] = ((...args: unknown[]) =>
      insideTransaction.getStore()
        ? original(...args)
        : manager.transaction((inner) => (inner[name] as (...a: unknown[]) => Promise<unknown>)(...args))) as never;
  }

  const runner: QueryRunner = dataSource.driver.createQueryRunner('master');
  const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
  runner.query = ((...args: unknown[]) =>
    insideTransaction.getStore() ? query(...args) : mutex.run(() => query(...args))) as QueryRunner['query'];
}
