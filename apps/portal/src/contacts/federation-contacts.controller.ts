import { Body, Controller, Delete, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Auth, CurrentPrincipal } from '../auth/auth.decorator';
import type { Principal } from '../auth/principal';
import { ErrorResponseDto } from '../common/error-response.dto';
import { UuidParamPipe } from '../common/validation';
import { ContactsService, contactCaller as caller } from './contacts.service';
import {
  FederationAckDto,
  FederationContactAcceptDto,
  FederationContactRequestDto,
  FederationContactRequestReceiptDto,
  FederationVerifyRequestDto,
  FederationVerifyResponseDto,
} from './dto/federation-contact.dto';

/** Portal-to-Portal calls of the contact handshake. */
@ApiTags('federation')
@Controller('api/federation')
export class FederationContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Post('contact-requests')
  @HttpCode(202)
  @Auth('public')
  @ApiOperation({
    summary: 'Receive a contact request from another Portal',
    description: 'Stored and then verified with the Portal named in fromPortal; the owner decides. Rate-limited.',
  })
  @ApiAcceptedResponse({ type: FederationContactRequestReceiptDto })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  async receiveContactRequest(
    @Body() body: FederationContactRequestDto,
    @Req() request: FastifyRequest,
  ): Promise<FederationContactRequestReceiptDto> {
    await this.contacts.receiveRequest(body, request.ip);
    return { requestId: body.requestId, status: 'received' };
  }

  @Post('contact-requests/:requestId/verify')
  @HttpCode(200)
  @Auth('contact')
  @ApiOperation({
    summary: 'Confirm that this Portal sent a contact request to the asking Portal',
    description:
      'The key proves the caller holds the request; it is confirmed only while still waiting and only to the Portal it was sent to (portalUrl).',
  })
  @ApiOkResponse({ type: FederationVerifyResponseDto })
  @ApiForbiddenResponse({ description: 'The request was sent to another Portal.', type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The request no longer waits for an answer.', type: ErrorResponseDto })
  verifyContactRequest(
    @CurrentPrincipal() principal: Principal,
    @Param('requestId', UuidParamPipe) requestId: string,
    @Body() body: FederationVerifyRequestDto,
  ): Promise<FederationVerifyResponseDto> {
    return this.contacts.confirmRequest(caller(principal), requestId, body);
  }

  @Post('contact-requests/:requestId/accept')
  @HttpCode(200)
  @Auth('contact')
  @ApiOperation({ summary: "The target's owner approved our request" })
  @ApiOkResponse({ type: FederationAckDto })
  async acceptContactRequest(
    @CurrentPrincipal() principal: Principal,
    @Param('requestId', UuidParamPipe) requestId: string,
    @Body() body: FederationContactAcceptDto,
  ): Promise<FederationAckDto> {
    await this.contacts.acceptFromPeer(caller(principal), requestId, body);
    return { ok: true };
  }

  @Post('contact-requests/:requestId/reject')
  @HttpCode(200)
  @Auth('contact')
  @ApiOperation({ summary: "The target's owner rejected our request" })
  @ApiOkResponse({ type: FederationAckDto })
  async receiveContactRejection(
    @CurrentPrincipal() principal: Principal,
    @Param('requestId', UuidParamPipe) requestId: string,
  ): Promise<FederationAckDto> {
    await this.contacts.rejectFromPeer(caller(principal), requestId);
    return { ok: true };
  }

  @Delete('contact')
  @HttpCode(200)
  @Auth('contact')
  @ApiOperation({ summary: 'The peer removed us as a contact', description: 'The shared key stops working.' })
  @ApiOkResponse({ type: FederationAckDto })
  async receiveContactRemoval(@CurrentPrincipal() principal: Principal): Promise<FederationAckDto> {
    await this.contacts.removeFromPeer(caller(principal));
    return { ok: true };
  }
}
