import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorator';
import type { Principal } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { OwnerChatListQueryDto, OwnerChatMessageCreateDto, OwnerChatMessageResponseDto, OwnerChatPageDto } from './dto/owner-chat.dto';
import { OwnerChatService } from './owner-chat.service';

@ApiTags('owner-chat')
@Controller('api/owner-chat/messages')
export class OwnerChatController {
  constructor(private readonly chat: OwnerChatService) {}

  @Get()
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'The chat between the owner and their agent',
    description: 'Without after/before: the newest page. Oldest first within a page.',
  })
  @ApiOkResponse({ type: OwnerChatPageDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  listOwnerChatMessages(@Query() query: OwnerChatListQueryDto): Promise<OwnerChatPageDto> {
    return this.chat.list(query);
  }

  @Post()
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'Write in the owner chat',
    description:
      'The role comes from the credential: the console session writes as owner, an owner key as agent. ' +
      'Files are attached by id (upload them first with POST /api/files without contactId). ' +
      'Every message becomes an owner_chat.message event.',
  })
  @ApiCreatedResponse({ type: OwnerChatMessageResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'An attached file does not exist.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'An attached file is not complete (still uploading, failed, or removed).', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  createOwnerChatMessage(
    @Body() body: OwnerChatMessageCreateDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<OwnerChatMessageResponseDto> {
    return this.chat.post(principal.kind === 'owner' ? 'owner' : 'agent', body.content, body.fileIds);
  }
}
