import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { UuidParamPipe } from '../common/validation';
import type { ContactRef } from '../contacts/contacts.service';
import { CurrentPeer, PeerCall } from '../contacts/peer-call.decorator';
import {
  FederationMessageBatchDto,
  FederationMessageBatchResponseDto,
  FederationMessageDto,
  FederationMessageReceiptDto,
  MessageCreateDto,
  MessageListQueryDto,
  MessagePageDto,
  MessageResponseDto,
} from './dto/message.dto';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@Controller('api')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post('messages')
  @HttpCode(202)
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: 'Send a message to a contact',
    description: 'Stored and queued at once; the Portal delivers it with retries. Reusing an id returns the same message.',
  })
  @ApiAcceptedResponse({ type: MessageResponseDto })
  @ApiNotFoundResponse({ description: 'Unknown contact.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'Contact not active, or id reused for different content.', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  sendMessage(@Body() body: MessageCreateDto): Promise<MessageResponseDto> {
    return this.messages.send(body);
  }

  @Get('messages')
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'Message history', description: 'Newest page by default; page with before/after cursors; q searches text.' })
  @ApiOkResponse({ type: MessagePageDto })
  listMessages(@Query() query: MessageListQueryDto): Promise<MessagePageDto> {
    return this.messages.list(query);
  }

  @Get('messages/:id')
  @Auth('owner', 'agent')
  @ApiOperation({ summary: 'One message with its delivery state' })
  @ApiOkResponse({ type: MessageResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  getMessage(@Param('id', UuidParamPipe) id: string): Promise<MessageResponseDto> {
    return this.messages.get(id);
  }

  @Post('federation/messages')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiTags('federation')
  @ApiOperation({ summary: 'Receive a message from a contact', description: 'Idempotent by id.' })
  @ApiOkResponse({ type: FederationMessageReceiptDto })
  receiveMessage(@CurrentPeer() peer: ContactRef, @Body() body: FederationMessageDto): Promise<FederationMessageReceiptDto> {
    return this.messages.receive(peer, body);
  }

  @Post('federation/messages/batch')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiTags('federation')
  @ApiOperation({
    summary: 'Receive several messages from a contact in one call',
    description:
      'Stored in the order given, in one transaction; each message is de-duplicated by its id and answered on its own (a message that is too large is refused alone).',
  })
  @ApiOkResponse({ type: FederationMessageBatchResponseDto })
  receiveMessageBatch(
    @CurrentPeer() peer: ContactRef,
    @Body() body: FederationMessageBatchDto,
  ): Promise<FederationMessageBatchResponseDto> {
    return this.messages.receiveBatch(peer, body);
  }
}
