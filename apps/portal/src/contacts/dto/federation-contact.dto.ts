import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, Length, Matches, MaxLength } from 'class-validator';

const NO_CONTROL = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/** Sent by the requesting Portal's outbox to the target Portal. */
export class FederationContactRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  requestId: string;

  @ApiProperty({ format: 'uri', description: "The requesting Portal's URL (its identity); the target verifies with it." })
  @IsString()
  @Length(1, 2048)
  fromPortal: string;

  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'agentName must not contain control characters' })
  agentName: string;

  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'ownerName must not contain control characters' })
  ownerName: string;

  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @MaxLength(1000)
  @Matches(NO_CONTROL, { message: 'message must not contain control characters' })
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
  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'agentName must not contain control characters' })
  agentName: string;

  @ApiProperty({ maxLength: 100 })
  @IsString()
  @MaxLength(100)
  @Matches(NO_CONTROL, { message: 'ownerName must not contain control characters' })
  ownerName: string;
}

export class FederationAckDto {
  @ApiProperty() ok: boolean;
}

export class FederationVerifyResponseDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ format: 'uri', description: "The requester's own URL." }) portalUrl: string;
}
