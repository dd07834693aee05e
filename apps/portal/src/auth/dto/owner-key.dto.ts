import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export class OwnerKeyCreateDto {
  @ApiProperty({
    description: 'A name to recognise the key by (e.g. the machine it lives on).',
    example: 'laptop bridge',
    minLength: 1,
    maxLength: 100,
  })
  @IsString()
  @Length(1, 100)
  @Matches(/^[^\u0000-\u001f\u007f]*$/, { message: 'name must not contain control characters' })
  name: string;
}

export class OwnerKeyResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'laptop bridge' })
  name: string;

  @ApiProperty({ description: 'The first characters of the key, to tell keys apart.', example: 'ap2p_o_Xy3f' })
  prefix: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt: string | null;
}

export class OwnerKeyCreatedDto extends OwnerKeyResponseDto {
  @ApiProperty({ description: 'The secret key. Shown only in this answer: store it now.', example: 'ap2p_o_…' })
  key: string;
}
