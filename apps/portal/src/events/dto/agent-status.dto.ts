import { ApiProperty } from '@nestjs/swagger';

/** Whether an agent follows this Portal's events right now (this instance). */
export class AgentStatusDto {
  @ApiProperty({ description: 'True while an owner key holds a WS /ws socket or a long-poll of GET /api/events open.' })
  connected: boolean;
  @ApiProperty({ type: 'integer', description: 'Open WS /ws sockets of owner keys.' }) sockets: number;
  @ApiProperty({ type: 'integer', description: 'Long-polls of owner keys in flight.' }) polls: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Since when the oldest of them is open.' })
  since: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When an owner key last acknowledged events (since this Portal started).',
  })
  lastAckAt: string | null;
}
