import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QueryInteger } from '../../common/query-integer';
import { EVENT_TYPES, type EventType } from '../event-types';
import { EVENT_PAYLOAD_DTOS } from './event-payloads.dto';

/** The largest seq a client may name (JavaScript's safe integers). */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/** Longest long-poll wait, in seconds. */
export const MAX_WAIT_SECONDS = 60;
export const MAX_EVENT_PAGE = 1000;

/** One entry of the event log, as WS /ws and GET /api/events deliver it. */
export class EventDto {
  @ApiProperty({ type: 'integer', description: 'Position in the log: strictly increasing; resume and ack by it.', example: 42 })
  seq: number;

  @ApiProperty({ format: 'uuid', description: 'Stable identity of the event.' })
  id: string;

  @ApiProperty({ enum: EVENT_TYPES, enumName: 'EventType' })
  type: EventType;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({
    description: 'Depends on `type`: the payload DTO named after the type (message.received → MessageReceivedPayloadDto).',
    oneOf: Object.values(EVENT_PAYLOAD_DTOS).map((dto) => ({ $ref: getSchemaPath(dto) })),
  })
  payload: object;
}

export class EventListQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    description:
      'Return events with seq greater than this. Omitted: from the acked cursor of the calling owner key, or from now for a console session.',
    minimum: 0,
    maximum: MAX_SEQ,
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  after?: number;

  @ApiPropertyOptional({
    type: 'integer',
    description: `When there is no event yet, wait up to this many seconds for one (0 to ${MAX_WAIT_SECONDS}).`,
    minimum: 0,
    maximum: MAX_WAIT_SECONDS,
    default: 0,
  })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_SECONDS)
  wait?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Most events to return.', minimum: 1, maximum: MAX_EVENT_PAGE, default: 100 })
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_EVENT_PAGE)
  limit?: number;
}

export class EventListResponseDto {
  @ApiProperty({ type: [EventDto], description: 'Oldest first.' })
  events: EventDto[];

  @ApiProperty({
    type: 'integer',
    description: 'Pass this as `after` next time: the seq of the last event returned, or the cursor used when none was.',
  })
  lastSeq: number;
}

export class EventAckDto {
  @ApiProperty({
    type: 'integer',
    description: 'The highest seq handled; the cursor moves to it (never backwards, never past the newest event).',
    minimum: 0,
  })
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  seq: number;
}

export class EventAckResponseDto {
  @ApiProperty({ type: 'integer', description: "The calling owner key's acked cursor after the ack." })
  ackedSeq: number;
}
