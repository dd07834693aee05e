import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The shape of every error the Portal returns. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request', description: 'The HTTP reason phrase.' })
  error: string;

  @ApiProperty({ example: 'name must be shorter than or equal to 100 characters' })
  message: string;

  @ApiPropertyOptional({
    description: 'Per-field problems for validation errors, or other structured detail.',
    type: 'object',
    additionalProperties: true,
  })
  details?: Record<string, unknown>;
}
