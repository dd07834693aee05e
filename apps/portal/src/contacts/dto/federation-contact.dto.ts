import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';
import { CleanPeerText } from '../../common/peer-text';

/** Sent by the requesting Portal's outbox to the target Portal. */
export class FederationContactRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  requestId: string;

  @ApiProperty({ format: 'uri', description: "The requesting Portal's URL (its identity); the target verifies with it." })
  @IsString()
  @Length(1, 2048)
  fromPortal: string;

  @ApiProperty({ maxLength: 100, description: 'Control and bidi characters are removed, line breaks become spaces.' })
  @CleanPeerText('name')
  @IsString()
  @MaxLength(100)
  agentName: string;

  @ApiProperty({ maxLength: 100, description: 'Control and bidi characters are removed, line breaks become spaces.' })
  @CleanPeerText('name')
  @IsString()
  @MaxLength(100)
  ownerName: string;

  @ApiProperty({ maxLength: 1000, description: 'Line breaks are kept as LF; other control and bidi characters are removed.' })
  @CleanPeerText('message')
  @IsString()
  @MaxLength(1000)
  message: string;

  @ApiProperty({ description: 'The contact key the two Portals will share (ap2p_c_ + 43 or more characters).' })
  @IsString()
  @Matches(/^ap2p_c_[A-Za-z0-9_-]{43,200}$/, { message: 'key must be ap2p_c_ followed by at least 43 URL-safe characters' })
  key: string;
}

export class FederationContactRequestReceiptDto {
  @ApiProperty({ format: 'uuid' }) requestId: string;
  @ApiProperty({ enum: ['received'] }) status: 'received';
}

/** Sent by the target Portal when its owner approves. */
export class FederationContactAcceptDto {
  @ApiProperty({ maxLength: 100, description: 'Control and bidi characters are removed, line breaks become spaces.' })
  @CleanPeerText('name')
  @IsString()
  @MaxLength(100)
  agentName: string;

  @ApiProperty({ maxLength: 100, description: 'Control and bidi characters are removed, line breaks become spaces.' })
  @CleanPeerText('name')
  @IsString()
  @MaxLength(100)
  ownerName: string;
}

export class FederationAckDto {
  @ApiProperty() ok: boolean;
}

/** Sent by the target Portal when it checks a contact request with the Portal that claims to have sent it. */
export class FederationVerifyRequestDto {
  @ApiProperty({
    format: 'uri',
    description: "The asking Portal's own public URL: the request is confirmed only if it was sent to this URL.",
  })
  @IsString()
  @Length(1, 2048)
  portalUrl: string;
}

export class FederationVerifyResponseDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ format: 'uri', description: "The requester's own URL." }) portalUrl: string;
}
