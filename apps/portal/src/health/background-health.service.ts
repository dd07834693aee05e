import { backoffDelayMs } from '@agent-p2p/protocol';
import { Injectable } from '@nestjs/common';

/** A background job that is failing now, as /health shows it. */
export interface FailingJob {
  /** Which job: `outbox`, `event-poll`, `file-sweep`, … */
  name: string;
  /** When it started failing (ISO 8601). */
  since: string;
  /** Failures in a row. */
  failures: number;
  /** What went wrong last, in words safe to show (no SQL, no paths). */
  message: string;
}

/**
 * What the Portal's background jobs (the outbox worker, the event poll, the sweepers) report about
 * themselves. A job that cannot reach its database logs, backs off and tries again: it never takes
 * the process down. Meanwhile /health answers `degraded` and names it, so an operator (or a load
 * balancer) sees it; the first success clears it.
 */
@Injectable()
export class BackgroundHealth {
  private readonly failing = new Map<string, FailingJob>();

  /** Records a failure of `name`; returns how many in a row (for backing off). */
  failed(name: string, error: unknown): number {
    const current = this.failing.get(name);
    const job: FailingJob = {
      name,
      since: current?.since ?? new Date().toISOString(),
      failures: (current?.failures ?? 0) + 1,
      message: describeFailure(error),
    };
    this.failing.set(name, job);
    return job.failures;
  }

  /** `name` worked again. */
  recovered(name: string): void {
    this.failing.delete(name);
  }

  /** The jobs failing now, by name. */
  problems(): FailingJob[] {
    return [...this.failing.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** How long a background job waits after `failures` failures in a row: 0.5 s doubling up to 30 s (no jitter). */
export function backgroundBackoffMs(failures: number): number {
  return backoffDelayMs(failures - 1, { initialMs: 500, maxMs: 30_000, jitter: 'none' });
}

/** A short, safe description: the database's error code when there is one, never SQL text. */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (/SQLITE_FULL|database or disk is full|ENOSPC|No space left/i.test(`${String(code)} ${text}`)) return 'the disk is full';
  if (/SQLITE_BUSY|database is locked/i.test(`${String(code)} ${text}`)) return 'the database is busy';
  if (/ECONNREFUSED|ECONNRESET|terminat|Connection|connect/i.test(text) || code === '57P01' || code === '08006' || code === '08003') {
    return 'the database connection failed';
  }
  return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code) ? `database error ${code}` : 'database error';
}
