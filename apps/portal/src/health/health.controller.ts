import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { statfs } from 'node:fs/promises';
import { DataSource } from 'typeorm';
import { Auth } from '../auth/auth.decorator';
import { PORTAL_CONFIG, type PortalConfig } from '../config/portal-config';
import { PORTAL_VERSION, PROTOCOL_VERSION } from '../common/version';
import { dialectOf } from '../database/data-source-options';
import { BackgroundHealth } from './background-health.service';
import { HealthResponseDto, VersionResponseDto } from './health.dto';

@ApiTags('health')
@Controller()
@Auth('public')
export class HealthController {
  constructor(
    @Inject(PORTAL_CONFIG) private readonly config: PortalConfig,
    private readonly dataSource: DataSource,
    private readonly background: BackgroundHealth,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Database, disk and background-job health', description: '200 when healthy, 503 when degraded.' })
  @ApiOkResponse({ type: HealthResponseDto })
  @ApiServiceUnavailableResponse({ type: HealthResponseDto })
  async getHealth(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthResponseDto> {
    const [database, disk] = await Promise.all([this.checkDatabase(), this.checkDisk()]);
    const failing = this.background.problems();
    const ok = database.ok && disk.ok && failing.length === 0;
    reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', database, disk, background: { ok: failing.length === 0, failing } };
  }

  @Get('version')
  @ApiOperation({ summary: 'Portal and protocol versions' })
  @ApiOkResponse({ type: VersionResponseDto })
  getVersion(): VersionResponseDto {
    return {
      name: 'agent-p2p-portal',
      version: PORTAL_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      database: dialectOf(this.config),
    };
  }

  private async checkDatabase(): Promise<HealthResponseDto['database']> {
    try {
      await this.dataSource.query('SELECT 1');
      return { ok: true };
    } catch {
      return { ok: false, message: 'database unreachable' };
    }
  }

  private async checkDisk(): Promise<HealthResponseDto['disk']> {
    const minFreeBytes = this.config.limits.minFreeDiskBytes;
    try {
      const stats = await statfs(this.config.dataDir);
      const freeBytes = Number(stats.bavail) * Number(stats.bsize);
      return freeBytes >= minFreeBytes
        ? { ok: true, freeBytes, minFreeBytes }
        : { ok: false, freeBytes, minFreeBytes, message: 'low disk space in the data directory' };
    } catch {
      return { ok: false, freeBytes: 0, minFreeBytes, message: 'data directory unreadable' };
    }
  }
}
