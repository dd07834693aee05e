import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsString, Length, Matches, ValidateNested } from 'class-validator';

export class FederationRotationKeyDto {
  @ApiProperty() @IsString() @Matches(/^[A-Za-z0-9_-]{22}$/, { message: 'keyId must be 22 base64url characters' }) keyId: string;
  @ApiProperty({ description: 'Raw Ed25519 public key, base64url.' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'publicKey must be 32 bytes in base64url (43 characters)' })
  publicKey: string;
}

/** A contact's Portal rotated its identity key: signed (the HTTP signature) with the key pinned for it. */
export class FederationIdentityRotationDto {
  @ApiProperty({ type: FederationRotationKeyDto }) @ValidateNested() @Type(() => FederationRotationKeyDto) to: FederationRotationKeyDto;
  @ApiProperty({ description: "The old key's Ed25519 signature (base64url) of the rotation statement." })
  @IsString()
  @Length(86, 86)
  proof: string;
}

export class FederationIdentityRotationAckDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'The fingerprint pinned now.' }) fingerprint: string;
}
