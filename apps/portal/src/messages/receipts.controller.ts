import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import type { ContactRef } from '../contacts/contacts.service';
import { CurrentPeer, PeerCall } from '../contacts/peer-call.decorator';
import { FederationReceiptBatchDto, FederationReceiptBatchResponseDto } from './dto/receipt.dto';
import { ReceiptsService } from './receipts.service';

@ApiTags('federation')
@Controller('api/federation')
export class ReceiptsController {
  constructor(private readonly receipts: ReceiptsService) {}

  @Post('receipts')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiOperation({
    summary: 'Receive receipts for messages we sent to the caller',
    description:
      'Each receipt moves one of our messages to the caller forward (held, seen, answered), never back; ids of messages not sent to the caller are answered unknown and ignored.',
  })
  @ApiOkResponse({ type: FederationReceiptBatchResponseDto })
  @ApiForbiddenResponse({ description: 'The caller is not an active contact.', type: ErrorResponseDto })
  receiveReceipts(@CurrentPeer() peer: ContactRef, @Body() body: FederationReceiptBatchDto): Promise<FederationReceiptBatchResponseDto> {
    return this.receipts.receive(peer, body);
  }
}
