import { Body, Controller, ForbiddenException, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { RateLimit } from '../common/rate-limit.guard';
import { Auth, CurrentPrincipal, type Principal } from '../auth/auth.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { IdentityRotationResponseDto } from '../common/identity.dto';
import { toContactResponse } from './contact-records';
import type { ContactRef } from './contacts.service';
import { ContactComparedDto, ContactRepinDto, ContactResponseDto } from './dto/contact.dto';
import { FederationIdentityRotationAckDto, FederationIdentityRotationDto } from './dto/identity-rotation.dto';
import { IdentityRotationService } from './identity-rotation.service';
import { CurrentPeer, PeerCall } from './peer-call.decorator';
import type { PeerCallRequest } from './peer-call.guard';
import { PeerKeysService } from './peer-keys.service';

/** Rotations a client may ask for per hour: each queues a notice to every contact. */
const ROTATIONS_PER_HOUR = 20;

/** Identity keys: rotating ours, and what the owner decides about a contact's (compared, re-pinned). */
@ApiTags('identity')
@Controller('api')
export class IdentityController {
  constructor(
    private readonly rotation: IdentityRotationService,
    private readonly peerKeys: PeerKeysService,
  ) {}

  @Post('identity/rotate')
  @HttpCode(200)
  @Auth('owner', 'agent')
  @RateLimit({
    name: 'identity-rotate',
    limit: () => ROTATIONS_PER_HOUR,
    windowMs: () => 3_600_000,
    message: `At most ${ROTATIONS_PER_HOUR} identity rotations per hour (each one notifies every contact)`,
  })
  @ApiOperation({
    summary: "Rotate this Portal's identity key",
    description:
      'A new Ed25519 key becomes current and is published; every pending or active contact is told by a notice signed with the old key and re-pins the new one. 409 when the key is set by PORTAL_IDENTITY_KEY.',
  })
  @ApiOkResponse({ type: IdentityRotationResponseDto })
  @ApiConflictResponse({
    description: 'The key comes from PORTAL_IDENTITY_KEY, or another rotation ran at the same time.',
    type: ErrorResponseDto,
  })
  @ApiTooManyRequestsResponse({ description: `More than ${ROTATIONS_PER_HOUR} rotations in an hour.`, type: ErrorResponseDto })
  rotate(): Promise<IdentityRotationResponseDto> {
    return this.rotation.rotate();
  }

  @Put('contacts/:id/identity/compared')
  @Auth('owner', 'agent')
  @ApiOperation({
    summary: "Mark a contact's fingerprint as compared (or not)",
    description:
      'Compared means the owners read the fingerprints to each other and they matched. Only the owner may mark it compared (403 for an owner key); an owner key may clear the mark.',
  })
  @ApiOkResponse({ type: ContactResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'No key is pinned for the contact.', type: ErrorResponseDto })
  async setCompared(
    @Param('id', ParseIdPipe) id: number,
    @Body() body: ContactComparedDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ContactResponseDto> {
    if (body.compared && principal.kind !== 'owner') {
      throw new ForbiddenException(
        'Only the owner can mark a fingerprint as compared, in the console (an owner key may only clear the mark)',
      );
    }
    return toContactResponse(await this.peerKeys.setCompared(id, body.compared));
  }

  @Post('contacts/:id/identity/repin')
  @HttpCode(200)
  @Auth('owner')
  @ApiOperation({
    summary: "Re-pin a contact's identity key (owner only)",
    description:
      "After the contact's key changed without a signed rotation: fetches the key its Portal publishes now and pins it, only if its fingerprint is the one given (the one the owners compared). Its calls are accepted again and what waits for it is sent.",
  })
  @ApiOkResponse({ type: ContactResponseDto })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    description: 'The Portal presents another fingerprint (details.presentedFingerprint), or could not be reached.',
    type: ErrorResponseDto,
  })
  async repin(@Param('id', ParseIdPipe) id: number, @Body() body: ContactRepinDto): Promise<ContactResponseDto> {
    return toContactResponse(await this.peerKeys.repin(id, body.fingerprint));
  }

  @Post('federation/identity/rotation')
  @HttpCode(200)
  @Auth('contact')
  @PeerCall({ previousKey: true })
  @ApiTags('federation')
  @ApiOperation({
    summary: "A contact's Portal rotated its identity key",
    description: "Signed with the key pinned here for the caller; the proof is that key's signature of the rotation statement. Idempotent.",
  })
  @ApiOkResponse({ type: FederationIdentityRotationAckDto })
  async receiveRotation(
    @CurrentPeer() peer: ContactRef,
    @Req() request: PeerCallRequest,
    @Body() body: FederationIdentityRotationDto,
  ): Promise<FederationIdentityRotationAckDto> {
    const contact = await this.peerKeys.contactFor(peer);
    const result = await this.peerKeys.receiveRotation(contact, request.signedBy ?? '', body.to, body.proof);
    return { ok: true, ...result };
  }
}
