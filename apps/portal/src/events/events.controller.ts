import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Auth, CurrentPrincipal } from '../auth/auth.decorator';
import type { Principal } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { EVENT_PAYLOAD_DTOS } from './dto/event-payloads.dto';
import { EventAckDto, EventAckResponseDto, EventDto, EventListQueryDto, EventListResponseDto } from './dto/event.dto';
import { EventCursorService } from './event-cursor.service';

@ApiTags('events')
@ApiExtraModels(EventDto, ...Object.values(EVENT_PAYLOAD_DTOS))
@Controller('api/events')
export class EventsController {
  constructor(private readonly cursors: EventCursorService) {}

  @Get()
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'Read the event log (long-poll)',
    description:
      'The same stream as WS /ws, for clients without WebSockets: events with seq > `after`, at once when there are some, ' +
      'else the first to arrive within `wait` seconds (an empty list when none did). Reading never acks.',
  })
  @ApiOkResponse({ type: EventListResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  listEvents(
    @Query() query: EventListQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<EventListResponseDto> {
    return this.cursors.poll(principal, query, () => request.raw.destroyed);
  }

  @Post('ack')
  @HttpCode(200)
  @Auth('agent')
  @ApiOperation({
    summary: 'Acknowledge events up to a seq (owner keys only)',
    description:
      "Moves the calling owner key's cursor to `seq` (never backwards, never past the newest event); events after it are " +
      'replayed to a client of this key that resumes without `after`. Console sessions never consume events (403).',
  })
  @ApiOkResponse({ type: EventAckResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  async ackEvents(@Body() body: EventAckDto, @CurrentPrincipal() principal: Principal): Promise<EventAckResponseDto> {
    return { ackedSeq: (await this.cursors.ack(principal, body.seq)) ?? 0 };
  }
}
