import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { generateOwnerKey, generatePassword, hashPassword, sha256Hex } from '../common/secrets';
import { ProfileService } from '../profile/profile.service';
import { randomUUID } from 'node:crypto';
import { OwnerKey } from './entities/owner-key.entity';
import { Setting } from './entities/setting.entity';
import { PASSWORD_SETTING } from './session.service';

const INITIALIZED_SETTING = 'initialized_at';

/** What the first start created. Secrets appear here only when the Portal generated them (to be printed once). */
export interface FirstStartResult {
  ownerKey?: string;
  consolePassword?: string;
  ownerKeyFromEnv: boolean;
  consolePasswordFromEnv: boolean;
}

@Injectable()
export class FirstStartService {
  private readonly logger = new Logger(FirstStartService.name);

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    private readonly dataSource: DataSource,
    private readonly profile: ProfileService,
  ) {}

  /**
   * On the first start with an empty database: creates the first owner key, the console password and
   * the profile, all in one transaction. Returns null on every later start.
   */
  async ensureInitialized(): Promise<FirstStartResult | null> {
    const done = await this.dataSource.getRepository(Setting).findOne({ where: { key: INITIALIZED_SETTING } });
    if (done) {
      if (this.config.initialOwnerKey || this.config.initialConsolePassword) {
        this.logger.log('PORTAL_OWNER_KEY and PORTAL_CONSOLE_PASSWORD are only used on the first start; ignoring them');
      }
      return null;
    }
    const ownerKey = this.config.initialOwnerKey ?? generateOwnerKey();
    const consolePassword = this.config.initialConsolePassword ?? generatePassword();
    const passwordHash = await hashPassword(consolePassword);
    const now = new Date();
    try {
      await this.dataSource.transaction(async (manager) => {
        // Inserted first: a second instance starting at the same moment fails here and changes nothing.
        await manager.insert(Setting, { key: INITIALIZED_SETTING, value: now.toISOString(), updatedAt: now });
        await manager.insert(Setting, { key: PASSWORD_SETTING, value: passwordHash, updatedAt: now });
        await manager.insert(OwnerKey, {
          id: randomUUID(),
          name: 'first key',
          keyPrefix: ownerKey.slice(0, 11),
          keyHash: sha256Hex(ownerKey),
          ackedSeq: 0,
          ackHooksSeq: 0,
          createdAt: now,
          lastUsedAt: null,
          revokedAt: null,
        });
        await this.profile.createInitial(manager);
      });
    } catch (error) {
      const raced = await this.dataSource.getRepository(Setting).findOne({ where: { key: INITIALIZED_SETTING } });
      if (raced) return null;
      throw error;
    }
    return {
      ownerKey: this.config.initialOwnerKey ? undefined : ownerKey,
      consolePassword: this.config.initialConsolePassword ? undefined : consolePassword,
      ownerKeyFromEnv: Boolean(this.config.initialOwnerKey),
      consolePasswordFromEnv: Boolean(this.config.initialConsolePassword),
    };
  }
}
