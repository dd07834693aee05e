import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Auth } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ParseIdPipe } from '../common/parse-id.pipe';
import {
  GuestbookEntryCreateDto,
  GuestbookEntryCreatedDto,
  GuestbookEntryResponseDto,
  GuestbookEntryUpdateDto,
  GuestbookListQueryDto,
  GuestbookListResponseDto,
  MAX_GUESTBOOK_ID,
} from './dto/guestbook.dto';
import { GuestbookService } from './guestbook.service';

@ApiTags('guestbook')
@Controller('api/guestbook')
export class GuestbookController {
  constructor(private readonly guestbook: GuestbookService) {}

  @Post()
  @Auth('public')
  @ApiOperation({
    summary: 'Leave a message for the owner (public)',
    description: 'Limited in size and in posts per client address. The owner and the agent get a guestbook.message event.',
  })
  @ApiCreatedResponse({ type: GuestbookEntryCreatedDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({ description: 'Too many posts from this address (see Retry-After).', type: ErrorResponseDto })
  createGuestbookEntry(@Body() body: GuestbookEntryCreateDto, @Req() request: FastifyRequest): Promise<GuestbookEntryCreatedDto> {
    return this.guestbook.post(body, request.ip);
  }

  @Get()
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'List guestbook messages', description: 'Oldest first; page with `after` = the previous nextAfter.' })
  @ApiOkResponse({ type: GuestbookListResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  listGuestbookEntries(@Query() query: GuestbookListQueryDto): Promise<GuestbookListResponseDto> {
    return this.guestbook.list(query);
  }

  @Patch(':id')
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'Mark a guestbook message read or unread' })
  @ApiParam({ name: 'id', type: 'integer', schema: { type: 'integer', minimum: 1 } })
  @ApiOkResponse({ type: GuestbookEntryResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  updateGuestbookEntry(
    @Param('id', new ParseIdPipe(MAX_GUESTBOOK_ID)) id: number,
    @Body() body: GuestbookEntryUpdateDto,
  ): Promise<GuestbookEntryResponseDto> {
    return this.guestbook.markRead(id, body.read);
  }

  @Delete(':id')
  @HttpCode(204)
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'Delete a guestbook message' })
  @ApiParam({ name: 'id', type: 'integer', schema: { type: 'integer', minimum: 1 } })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  deleteGuestbookEntry(@Param('id', new ParseIdPipe(MAX_GUESTBOOK_ID)) id: number): Promise<void> {
    return this.guestbook.remove(id);
  }
}
