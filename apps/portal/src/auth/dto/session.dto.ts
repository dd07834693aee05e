import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class SessionCreateDto {
  @ApiProperty({ description: 'The console password.', minLength: 1, maxLength: 256 })
  @IsString()
  @Length(1, 256)
  password: string;
}

export class SessionPasswordUpdateDto {
  @ApiProperty({ minLength: 1, maxLength: 256 })
  @IsString()
  @Length(1, 256)
  currentPassword: string;

  @ApiProperty({ description: 'At least 12 characters.', minLength: 12, maxLength: 256 })
  @IsString()
  @Length(12, 256, { message: 'newPassword must be 12 to 256 characters long' })
  newPassword: string;
}

export class SessionResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({
    description: 'Header and value that console requests which change data must send (CSRF defence).',
    example: { 'X-Requested-With': 'agent-p2p' },
  })
  csrfHeader: Record<string, string>;
}
