import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, type Repository } from 'typeorm';
import { isUniqueViolation } from '../common/unique-violation';
import { GroupCommit } from '../database/group-commit';
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
   * Nonces arriving together are inserted in one transaction (a burst of calls costs a few commits);
   * when a batch holds a used nonce it fails as a whole, and each of its nonces is then tried alone,
   * so only the replay is refused.
   */
  private readonly writes = new GroupCommit<SignatureNonce, boolean>(
    async (rows) => {
      await this.nonces.insert(rows);
      return rows.map(() => true);
    },
    (row) => this.insertOne(row),
  );

  constructor(@InjectRepository(SignatureNonce) private readonly nonces: Repository<SignatureNonce>) {}

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

  private async insertOne(row: SignatureNonce): Promise<boolean> {
    try {
      await this.nonces.insert(row);
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async prune(now = new Date()): Promise<number> {
    const result = await this.nonces.delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }
}
