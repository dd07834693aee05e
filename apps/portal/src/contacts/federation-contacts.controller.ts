import { Body, Controller, Delete, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Auth } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { RateLimit } from '../common/rate-limit.guard';
import { UuidParamPipe } from '../common/validation';
import type { ContactRef } from './contacts.service';
import {
  FederationAckDto,
  FederationContactAcceptDto,
  FederationContactRequestDto,
  FederationContactRequestReceiptDto,
  FederationVerifyRequestDto,
  FederationVerifyResponseDto,
} from './dto/federation-contact.dto';
import { FederationContactsService } from './federation-contacts.service';
import { CurrentPeer, PeerCall } from './peer-call.decorator';
import { PeerKeysService } from './peer-keys.service';

/** Portal-to-Portal calls of the contact handshake. */
@ApiTags('federation')
@Controller('api/federation')
export class FederationContactsController {
  constructor(
    private readonly contacts: FederationContactsService,
    private readonly peerKeys: PeerKeysService,
  ) {}

  @Post('contact-requests')
  @HttpCode(202)
  @Auth('public')
  @RateLimit({
    name: 'contact-requests',
    limit: (config) => config.limits.publicRequestsPerMinute,
    windowMs: () => 60_000,
    message: 'Too many requests from this address',
  })
  @ApiOperation({
    summary: 'Receive a contact request from another Portal',
    description:
      "Signed (RFC 9421) with the identity key that fromPortal publishes at /.well-known/agent-p2p, for this Portal's URL; stored, then verified with that Portal; the owner decides. Rate-limited.",
  })
  @ApiUnauthorizedResponse({
    description: 'Not signed by the identity key of fromPortal, or signed for another Portal (details.code).',
    type: ErrorResponseDto,
  })
  @ApiAcceptedResponse({ type: FederationContactRequestReceiptDto })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  async receiveContactRequest(
    @Req() request: FastifyRequest,
    @Body() body: FederationContactRequestDto,
  ): Promise<FederationContactRequestReceiptDto> {
    await this.contacts.receiveRequest(body, (fromPortal) => this.peerKeys.verifyStrangerCall(request, fromPortal));
    return { requestId: body.requestId, status: 'received' };
  }

  @Post('contact-requests/:requestId/verify')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiOperation({
    summary: 'Confirm that this Portal sent a contact request to the asking Portal',
    description:
      'The key proves the caller holds the request; it is confirmed only while still waiting and only to the Portal it was sent to (portalUrl).',
  })
  @ApiOkResponse({ type: FederationVerifyResponseDto })
  @ApiForbiddenResponse({ description: 'The request was sent to another Portal.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The request no longer waits for an answer.', type: ErrorResponseDto })
  verifyContactRequest(
    @CurrentPeer() peer: ContactRef,
    @Param('requestId', UuidParamPipe) requestId: string,
    @Body() body: FederationVerifyRequestDto,
  ): Promise<FederationVerifyResponseDto> {
    return this.contacts.confirmRequest(peer, requestId, body);
  }

  @Post('contact-requests/:requestId/accept')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiOperation({ summary: "The target's owner approved our request" })
  @ApiOkResponse({ type: FederationAckDto })
  async acceptContactRequest(
    @CurrentPeer() peer: ContactRef,
    @Param('requestId', UuidParamPipe) requestId: string,
    @Body() body: FederationContactAcceptDto,
  ): Promise<FederationAckDto> {
    await this.contacts.acceptFromPeer(peer, requestId, body);
    return { ok: true };
  }

  @Post('contact-requests/:requestId/reject')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall()
  @ApiOperation({ summary: "The target's owner rejected our request" })
  @ApiOkResponse({ type: FederationAckDto })
  async receiveContactRejection(
    @CurrentPeer() peer: ContactRef,
    @Param('requestId', UuidParamPipe) requestId: string,
  ): Promise<FederationAckDto> {
    await this.contacts.rejectFromPeer(peer, requestId);
    return { ok: true };
  }

  @Delete('contact')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall({ admit: false })
  @ApiOperation({ summary: 'The peer removed us as a contact', description: 'The shared key stops working.' })
  @ApiOkResponse({ type: FederationAckDto })
  async receiveContactRemoval(@CurrentPeer() peer: ContactRef): Promise<FederationAckDto> {
    await this.contacts.removeFromPeer(peer);
    return { ok: true };
  }
}
