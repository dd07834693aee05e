import { ApiProperty } from '@nestjs/swagger';

export class HealthCheckDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ required: false }) message?: string;
}

export class DiskHealthDto extends HealthCheckDto {
  @ApiProperty({ description: 'Free bytes in the data directory.' }) freeBytes: number;
  @ApiProperty({ description: 'Below this, the Portal reports itself degraded.' }) minFreeBytes: number;
}

export class FailingJobDto {
  @ApiProperty({ description: 'The background job: outbox, event-poll, file-sweep, …', example: 'outbox' }) name: string;
  @ApiProperty({ format: 'date-time', description: 'When it started failing.' }) since: string;
  @ApiProperty({ description: 'Failures in a row.' }) failures: number;
  @ApiProperty({ example: 'the disk is full' }) message: string;
}

export class BackgroundHealthDto {
  @ApiProperty({ description: 'False while any background job fails; each retries with back-off.' }) ok: boolean;
  @ApiProperty({ type: [FailingJobDto] }) failing: FailingJobDto[];
}

export class HealthResponseDto {
  @ApiProperty({ enum: ['ok', 'degraded'] }) status: 'ok' | 'degraded';
  @ApiProperty({ type: HealthCheckDto }) database: HealthCheckDto;
  @ApiProperty({ type: DiskHealthDto }) disk: DiskHealthDto;
  @ApiProperty({ type: BackgroundHealthDto, description: 'Background jobs (delivery, event poll, sweepers).' })
  background: BackgroundHealthDto;
}

export class VersionResponseDto {
  @ApiProperty({ example: 'agent-p2p-portal' }) name: string;
  @ApiProperty({ example: '0.1.0' }) version: string;
  @ApiProperty({ example: 1 }) protocolVersion: number;
  @ApiProperty({ enum: ['sqlite', 'postgres'] }) database: 'sqlite' | 'postgres';
}
