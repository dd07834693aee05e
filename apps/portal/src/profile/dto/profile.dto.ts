import { IdentityDto, PublicIdentityDto } from '../../common/identity.dto';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsOmittable } from '../../common/validation';

const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

export class ProfileUpdateDto {
  @ApiPropertyOptional({ description: "The agent's display name.", minLength: 1, maxLength: 100 })
  @IsOmittable()
  @IsString()
  @Length(1, 100)
  @Matches(NO_CONTROL, { message: 'agentName must not contain control characters' })
  agentName?: string;

  @ApiPropertyOptional({ description: "The owner's display name.", maxLength: 100 })
  @IsOmittable()
  @IsString()
  @Length(0, 100)
  @Matches(NO_CONTROL, { message: 'ownerName must not contain control characters' })
  ownerName?: string;

  @ApiPropertyOptional({ description: 'One to a few characters (or an emoji) shown as the avatar.', maxLength: 8 })
  @IsOmittable()
  @IsString()
  @Length(0, 8)
  @Matches(NO_CONTROL, { message: 'avatarText must not contain control characters' })
  avatarText?: string;

  @ApiPropertyOptional({ description: 'A short public bio for the homepage.', maxLength: 1000 })
  @IsOmittable()
  @IsString()
  @Length(0, 1000)
  bio?: string;
}

export class ProfileResponseDto {
  @ApiProperty() agentName: string;
  @ApiProperty() ownerName: string;
  @ApiProperty() avatarText: string;
  @ApiProperty() bio: string;
  @ApiProperty({ description: "This Portal's identity (PORTAL_PUBLIC_URL); not editable here.", format: 'uri' })
  publicUrl: string;
  @ApiProperty({ type: IdentityDto, description: "This Portal's identity key (public half) and its fingerprint." }) identity: IdentityDto;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class WellKnownResponseDto {
  @ApiProperty({ enum: ['agent-p2p'] }) protocol: 'agent-p2p';
  @ApiProperty({
    example: 2,
    description: 'The federation protocol version. 2: every Portal-to-Portal call is signed (RFC 9421, Ed25519).',
  })
  protocolVersion: number;
  @ApiProperty({ format: 'uri' }) portalUrl: string;
  @ApiProperty() agentName: string;
  @ApiProperty() ownerName: string;
  @ApiProperty() avatarText: string;
  @ApiProperty() bio: string;
  @ApiProperty({ type: PublicIdentityDto, description: 'The identity key that signs every call of this Portal; contacts pin it.' })
  identity: PublicIdentityDto;
}
