import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type Repository } from 'typeorm';
import { GroupCommit } from '../database/group-commit';
import { RawSql } from '../database/raw-sql';
import { SignatureNonce } from './entities/signature-nonce.entity';

const PRUNE_INTERVAL_MS = 5 * 60_000;

/**
 * The nonces of accepted signed calls, in the database so that every instance sharing it refuses a
 * replay. A nonce is kept until its signature expires (plus the clock-skew allowance); after that the
 * signature itself is refused as expired.
 */
@Injectable()
export class NonceStore implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(NonceStore.name);
  private timer: NodeJS.Timeout | null = null;
  /**
   * Nonces arriving together are inserted with one statement (a burst of calls costs one write); a
   * nonce already there (a replay) is skipped by the statement and refused alone.
   */
  private readonly writes = new GroupCommit<SignatureNonce, boolean>(
    (rows) => this.insertMany(rows),
    async (row) => (await this.insertMany([row]))[0],
  );
  private readonly sql: RawSql;

  constructor(@InjectRepository(SignatureNonce) private readonly nonces: Repository<SignatureNonce>) {
    this.sql = new RawSql(nonces.manager.connection);
  }

  onModuleInit(): void {
    this.timer = setInterval(
      () => void this.prune().catch((error) => this.logger.warn({ err: error }, 'Could not prune signature nonces')),
      PRUNE_INTERVAL_MS,
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Records a nonce; false when it was already used with this key (a replay). */
  record(keyId: string, nonce: string, keepUntil: Date): Promise<boolean> {
    return this.writes.submit({ keyId, nonce, expiresAt: keepUntil });
  }

  /** Inserts the nonces (plain SQL: every signed call passes here); true for each that was new. */
  private async insertMany(rows: SignatureNonce[]): Promise<boolean[]> {
    const fresh = new Set<string>();
    for (let i = 0; i < rows.length; i += 200) {
      const chunk = rows.slice(i, i + 200);
      const inserted = (await this.nonces.query(
        this.sql.text(
          `INSERT INTO signature_nonces (key_id, nonce, expires_at) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}
           ON CONFLICT (key_id, nonce) DO NOTHING RETURNING key_id AS "keyId", nonce`,
        ),
        chunk.flatMap((row) => [row.keyId, row.nonce, this.sql.date(row.expiresAt)]),
      )) as Array<{ keyId: string; nonce: string }>;
      for (const row of inserted) fresh.add(`${row.keyId} ${row.nonce}`);
    }
    // The same nonce twice in one batch: the first is new, the second a replay.
    return rows.map((row) => fresh.delete(`${row.keyId} ${row.nonce}`));
  }

  async prune(now = new Date()): Promise<number> {
    const result = await this.nonces.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }
}
