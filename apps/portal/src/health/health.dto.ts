import { ApiProperty } from '@nestjs/swagger';

export class HealthCheckDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ required: false }) message?: string;
}

export class DiskHealthDto extends HealthCheckDto {
  @ApiProperty({ description: 'Free bytes in the data directory.' }) freeBytes: number;
  @ApiProperty({ description: 'Below this, the Portal reports itself degraded.' }) minFreeBytes: number;
}

export class HealthResponseDto {
  @ApiProperty({ enum: ['ok', 'degraded'] }) status: 'ok' | 'degraded';
  @ApiProperty({ type: HealthCheckDto }) database: HealthCheckDto;
  @ApiProperty({ type: DiskHealthDto }) disk: DiskHealthDto;
}

export class VersionResponseDto {
  @ApiProperty({ example: 'agent-p2p-portal' }) name: string;
  @ApiProperty({ example: '0.1.0' }) version: string;
  @ApiProperty({ example: 1 }) protocolVersion: number;
  @ApiProperty({ enum: ['sqlite', 'postgres'] }) database: 'sqlite' | 'postgres';
}
