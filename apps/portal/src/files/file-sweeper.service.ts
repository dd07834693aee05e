import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, LessThan, type Repository } from 'typeorm';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { FileTransfer } from './entities/file-transfer.entity';
import { FileBytes } from './file-bytes';
import { FileIntakeService } from './file-intake.service';

/** Housekeeping of files: stale part files at start, then a periodic sweep of expired uploads and kept copies. */
@Injectable()
export class FileSweeperService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('FilesService');
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    @InjectRepository(FileTransfer) private readonly files: Repository<FileTransfer>,
    private readonly intake: FileIntakeService,
    private readonly bytes: FileBytes,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bytes.store.removeStaleParts();
    this.sweepTimer = setInterval(
      () => void this.sweep().catch((error) => this.logger.error({ err: error }, 'File sweep failed')),
      this.config.files.sweepIntervalSeconds * 1000,
    );
    this.sweepTimer.unref();
    void this.sweep().catch((error) => this.logger.error({ err: error }, 'File sweep failed'));
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
  }

  /**
   * Removes uploads (ours or a peer's) without progress for incompleteExpireHours (they fail), and
   * the bytes of files we sent once the contact confirmed them sentRetentionHours ago.
   */
  async sweep(now = new Date()): Promise<void> {
    const { incompleteExpireHours, sentRetentionHours } = this.config.files;
    const stale = await this.files.find({
      where: { status: In(['uploading', 'receiving']), updatedAt: LessThan(new Date(now.getTime() - incompleteExpireHours * 3_600_000)) },
    });
    for (const file of stale) await this.intake.failFile(file, `expired: no progress for ${incompleteExpireHours} hours`);
    const delivered = await this.files.find({
      where: { status: 'delivered', contentStored: true, completedAt: LessThan(new Date(now.getTime() - sentRetentionHours * 3_600_000)) },
    });
    for (const file of delivered) await this.intake.dropContent(file);
    const failed = await this.files.find({ where: { status: 'failed', contentStored: true } });
    for (const file of failed) await this.intake.dropContent(file);
  }
}
